"""`fal-ai/ltx-2.3-22b/distilled/reference-video-to-video` and `/lora`: an IC-LoRA control video
(optionally preprocessed to depth / canny / pose) drives the distilled recipe.

The fields are fal's (docs/fal-endpoints.md, "distilled/reference-video-to-video"); this is
not the quality family's reference endpoint (different fields: `preprocessor`, `ic_lora_type`,
`audio_url`). `ic_lora_type='match_preprocessor'` picks the IC-LoRA for the chosen
preprocessor, so it needs one: with `preprocessor='none'` it is a 422 naming `ic_lora_type`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from ltx_serve.schemas.common import FalBaseModel, MediaUrl, aliases
from ltx_serve.schemas.family_22b import (
    AudioStrength,
    DistilledSamplerOptions,
    EndImageUrl,
    Fps,
    GenerateAudio,
    Loras22B,
    MatchInputFps,
    MatchVideoLength,
    NumFrames,
    Output22B,
    SecondPass,
    UseMultiscale,
    VideoSize,
    VideoStrength,
)
from ltx_serve.schemas.rules import Violation, raise_violations

EXAMPLE_PROMPT = (
    "style: cinematic/realistic. A man wearing a baseball cap walks through a modern town. "
    "He holds a coffee cup."
)
EXAMPLE_VIDEO_URL = "https://v3b.fal.media/files/b/0a963ecf/eVoII1AsconU8SpPx5xoE_output.mp4"


class Preprocessor(StrEnum):
    """The control signal estimated from `video_url`; `none` uses the video as it is."""

    DEPTH = "depth"
    CANNY = "canny"
    POSE = "pose"
    NONE = "none"


class ICLoraType(StrEnum):
    MATCH_PREPROCESSOR = "match_preprocessor"
    UNION = "union"
    DETAILER = "detailer"
    NONE = "none"


class DistilledReferenceVideoToVideoHead(FalBaseModel):
    prompt: str = Field(description="The prompt to generate the video from.", examples=[EXAMPLE_PROMPT])
    video_url: MediaUrl = Field(
        validation_alias=aliases("video_url", "input_video"),
        description="The URL of the video to reference.",
        examples=[EXAMPLE_VIDEO_URL],
    )
    audio_url: MediaUrl | None = Field(
        None,
        description=(
            "An optional URL of an audio to use as the audio for the video. If not provided, any "
            "audio present in the input video will be used."
        ),
    )
    image_url: MediaUrl | None = Field(
        None,
        validation_alias=aliases("image_url", "input_image"),
        description="An optional URL of an image to use as the first frame of the video.",
    )
    end_image_url: EndImageUrl
    match_video_length: MatchVideoLength
    num_frames: NumFrames
    video_size: VideoSize
    generate_audio: GenerateAudio
    use_multiscale: UseMultiscale
    match_input_fps: MatchInputFps
    fps: Fps


class DistilledReferenceVideoToVideoTail(FalBaseModel):
    video_strength: VideoStrength
    audio_strength: AudioStrength
    preprocessor: Preprocessor = Field(
        Preprocessor.NONE, description="The preprocessor to use for the generation."
    )
    ic_lora_type: ICLoraType = Field(
        ICLoraType.UNION, description="The IC LoRA type to use for the generation.", examples=["union"]
    )

    @model_validator(mode="after")
    def _match_needs_a_preprocessor(self) -> DistilledReferenceVideoToVideoTail:
        if self.ic_lora_type is ICLoraType.MATCH_PREPROCESSOR and self.preprocessor is Preprocessor.NONE:
            raise_violations(
                [
                    Violation(
                        "ic_lora_type",
                        "ic_lora_type 'match_preprocessor' needs a preprocessor (depth, canny or "
                        "pose) to match; set preprocessor, or choose ic_lora_type 'union'",
                        self.ic_lora_type.value,
                    )
                ]
            )
        return self


class DistilledReferenceVideoToVideoInput(
    DistilledReferenceVideoToVideoTail,
    SecondPass,
    DistilledSamplerOptions,
    DistilledReferenceVideoToVideoHead,
):
    pass


class DistilledReferenceVideoToVideoLoraInput(
    DistilledReferenceVideoToVideoTail,
    SecondPass,
    Loras22B,
    DistilledSamplerOptions,
    DistilledReferenceVideoToVideoHead,
):
    pass


class DistilledReferenceVideoToVideoOutput(Output22B):
    pass


class DistilledReferenceVideoToVideoLoraOutput(Output22B):
    pass
