"""`fal-ai/ltx-2.3-quality/image-to-video`: the quality family's single-stage distilled workflow
from a starting image.

fal's page shows the fields up to `num_inference_steps`; the rest (and every range fal's page
does not show) follow the quality family's audio-to-video and reference pages, which share the
workflow and the wording (docs/fal-endpoints.md, "quality/image-to-video", says which is which).
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

EXAMPLE_PROMPT = (
    "A woman stands still amid a busy neon-lit street at night. The camera slowly dollies in toward "
    "her face as people blur past, their motion emphasizing her calm presence."
)
EXAMPLE_IMAGE_URL = "https://storage.googleapis.com/falserverless/example_inputs/ltxv-2-i2v-input.jpg"

BY_ANALOGY = frozenset(
    {
        "guidance_scale",
        "image_strength",
        "generate_audio",
        "negative_prompt",
        "seed",
        "enable_prompt_expansion",
        "enable_safety_checker",
        "video_quality",
        "video_write_mode",
        "sync_mode",
    }
)
"""Fields fal's stored page does not reach: their order and ranges come from the quality siblings
(their names, defaults and wording from fal's published type for this endpoint)."""


class QualityImageToVideoInput(FalBaseModel):
    prompt: str = Field(description="The prompt to guide the video generation.", examples=[EXAMPLE_PROMPT])
    image_url: MediaUrl = Field(
        validation_alias=aliases("image_url", "input_image"),
        description="The URL of the starting image.",
        examples=[EXAMPLE_IMAGE_URL],
    )
    num_frames: int = Field(121, ge=9, le=481, description="The number of frames to generate.")
    resolution: SizeSpec = Field(
        VideoSizePreset.AUTO,
        description=(
            "The size of the generated video. 'auto' derives the size from the input image aspect ratio."
        ),
    )
    frames_per_second: float = Field(
        24,
        ge=1,
        le=60,
        validation_alias=aliases("frames_per_second", "fps"),
        description="Frames per second of the generated video.",
    )
    num_inference_steps: int = Field(
        15,
        ge=8,
        le=30,
        description=(
            "Number of inference steps. Defaults to 15 for this distilled ComfyUI workflow and can "
            "be increased up to 30."
        ),
    )
    guidance_scale: float = Field(
        1,
        ge=1,
        le=20,
        description="Classifier-free guidance scale. The default is tuned for fast, high-quality generation.",
    )
    image_strength: float = Field(
        0.7,
        ge=0,
        le=1,
        description=(
            "Conditioning strength on the start image. 1.0 = exact first-frame match, lower = more "
            "freedom for the model."
        ),
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
        None, description="Random seed for reproducibility. If None, a random seed is chosen."
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


class QualityImageToVideoOutput(VideoOutput):
    """The quality family's `{video, seed, prompt}` as its reference page (seed 001) words it."""
