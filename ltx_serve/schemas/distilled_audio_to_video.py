"""`fal-ai/ltx-2.3-22b/distilled/audio-to-video` and `/lora`: the distilled recipe driven by an
input audio track, with optional first and last frames.

The fields are fal's (docs/fal-endpoints.md, "distilled/audio-to-video"). There is no
`generate_audio`: the soundtrack is the caller's (kept exactly at `audio_strength` 1).
`video_size` defaults to `landscape_16_9`; `auto` takes the size from `image_url` when one is
given.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ltx_serve.schemas.common import FalBaseModel, MediaUrl, SizeSpec, VideoSizePreset, aliases
from ltx_serve.schemas.family_22b import (
    DistilledSamplerOptions,
    EndImageStrength,
    EndImageUrl,
    Fps,
    ImageStrength,
    Loras22B,
    NumFrames,
    Output22B,
    SecondPass,
    UseMultiscale,
)

EXAMPLE_AUDIO_URL = "https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-audio.mp3"
EXAMPLE_IMAGE_URL = "https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-image.png"

AudioVideoSize = Annotated[
    SizeSpec,
    Field(
        VideoSizePreset.LANDSCAPE_16_9,
        description=(
            "The size of the generated video. Use 'auto' to match the input image dimensions if provided."
        ),
    ),
]


class DistilledAudioToVideoHead(FalBaseModel):
    prompt: str = Field(
        description="The prompt to generate the video from.", examples=["A woman speaks to the camera"]
    )
    audio_url: MediaUrl = Field(
        validation_alias=aliases("audio_url", "input_audio"),
        description="The URL of the audio to generate the video from.",
        examples=[EXAMPLE_AUDIO_URL],
    )
    image_url: MediaUrl | None = Field(
        None,
        validation_alias=aliases("image_url", "input_image"),
        description="Optional URL of an image to use as the first frame of the video.",
        examples=[EXAMPLE_IMAGE_URL],
    )
    end_image_url: EndImageUrl
    match_audio_length: bool = Field(
        True,
        description=(
            "When enabled, the number of frames will be calculated based on the audio duration and "
            "FPS. When disabled, use the specified num_frames."
        ),
    )
    num_frames: NumFrames
    video_size: AudioVideoSize
    use_multiscale: UseMultiscale
    fps: Fps


class DistilledAudioToVideoTail(FalBaseModel):
    image_strength: ImageStrength
    end_image_strength: EndImageStrength
    audio_strength: float = Field(
        1,
        ge=0,
        le=1,
        description=(
            "Audio conditioning strength. Values below 1.0 will allow the model to change the "
            "audio, while a value of exactly 1.0 will use the input audio without modification."
        ),
    )
    preprocess_audio: bool = Field(
        True, description="Whether to preprocess the audio before using it as conditioning."
    )


class DistilledAudioToVideoInput(
    DistilledAudioToVideoTail, SecondPass, DistilledSamplerOptions, DistilledAudioToVideoHead
):
    pass


class DistilledAudioToVideoLoraInput(
    DistilledAudioToVideoTail, SecondPass, Loras22B, DistilledSamplerOptions, DistilledAudioToVideoHead
):
    pass


class DistilledAudioToVideoOutput(Output22B):
    pass


class DistilledAudioToVideoLoraOutput(Output22B):
    pass
