"""`fal-ai/ltx-2.3-quality/audio-to-video`: video driven by an input audio track (seed 004).

Seed 004 is a Workbench page: its `input_audio`/`input_image` are aliases of the API names
`audio_url`/`image_url`. It lists only the Workbench subset of fields; the fields in
`FAMILY_FIELDS` are not on that page and are taken from the ltx-2.3-quality family (seed 001,
same distilled workflow), so clients that send them (notably `sync_mode`) get fal's semantics.
"""

from __future__ import annotations

from pydantic import Field

from ltx_serve.schemas.common import (
    QUALITY_NEGATIVE_PROMPT,
    SYNC_MODE_DESCRIPTION,
    FalBaseModel,
    MediaUrl,
    SizeSpec,
    VideoOutput,
    VideoQuality,
    VideoSizePreset,
    VideoWriteMode,
    aliases,
)

FAMILY_FIELDS = frozenset(
    {
        "num_inference_steps",
        "guidance_scale",
        "enable_prompt_expansion",
        "enable_safety_checker",
        "video_write_mode",
        "sync_mode",
    }
)
"""Fields inferred from the ltx-2.3-quality family rather than read from seed 004."""


class AudioToVideoInput(FalBaseModel):
    prompt: str = Field(description="The prompt to guide the audio-driven video generation.")
    audio_url: MediaUrl = Field(
        validation_alias=aliases("audio_url", "input_audio"),
        description="The URL of the audio track that drives generation.",
    )
    image_url: MediaUrl | None = Field(
        None,
        validation_alias=aliases("image_url", "input_image"),
        description=(
            "Optional URL of an image to use as the first frame. When omitted, the workflow "
            "runs from text and audio only."
        ),
    )
    match_audio_length: bool = Field(
        True,
        description=(
            "When enabled, derives the number of frames from the audio duration and "
            "frames_per_second. When disabled, uses num_frames."
        ),
    )
    num_frames: int = Field(121, ge=9, le=481, description="The number of frames to generate.")
    resolution: SizeSpec = Field(
        VideoSizePreset.AUTO,
        description=(
            "Final output size. 'auto' matches the input image aspect ratio when an image is "
            "provided; otherwise it uses the workflow's landscape fallback."
        ),
    )
    frames_per_second: float = Field(
        24,
        ge=1,
        le=60,
        validation_alias=aliases("frames_per_second", "fps"),
        description="Frames per second of the generated video.",
    )
    image_strength: float = Field(
        0.7,
        ge=0,
        le=1,
        description=(
            "Conditioning strength for the optional first frame. 1.0 keeps the image more "
            "strictly; lower values give the model more freedom."
        ),
    )
    num_inference_steps: int = Field(
        15,
        ge=8,
        le=30,
        description="Number of inference steps. Defaults to 15 and can be increased up to 30.",
    )
    guidance_scale: float = Field(
        1,
        ge=1,
        le=20,
        description=("Classifier-free guidance scale. The default follows the distilled LTX-2.3 workflow."),
    )
    generate_audio: bool = Field(
        True,
        description=(
            "Whether to include audio in the returned video. When disabled, the final MP4 is "
            "returned without an audio track."
        ),
    )
    negative_prompt: str = Field(
        QUALITY_NEGATIVE_PROMPT, description="The negative prompt to steer generation away from."
    )
    seed: int | None = Field(
        None,
        description="Random seed for reproducibility. If None, a random seed is chosen.",
    )
    enable_prompt_expansion: bool = Field(True, description="Whether to enable prompt expansion.")
    enable_safety_checker: bool = Field(True, description="Whether to enable the safety checker.")
    video_quality: VideoQuality = Field(
        VideoQuality.HIGH, description="The quality preset of the generated video."
    )
    video_write_mode: VideoWriteMode = Field(
        VideoWriteMode.BALANCED, description="The write mode of the generated video."
    )
    sync_mode: bool = Field(False, description=SYNC_MODE_DESCRIPTION)


class AudioToVideoOutput(VideoOutput):
    pass
