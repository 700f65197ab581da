"""`fal-ai/ltx-2.3-22b/text-to-video` and `/lora`: the full 22B model from a prompt alone.

The fields are fal's (docs/fal-endpoints.md, "text-to-video"); `video_size` has no `auto`
because there is no input to take a size from. `/lora` adds the required `loras` list where fal
places it, before the distilled-LoRA pass scales.
"""

from __future__ import annotations

from pydantic import Field

from ltx_serve.schemas.common import FalBaseModel
from ltx_serve.schemas.family_22b import (
    DistillPasses,
    FixedVideoSize,
    Fps,
    GenerateAudio,
    GuidanceKnobs,
    Loras22B,
    NumFrames,
    Output22B,
    SamplerOptions,
    UseMultiscale,
)

EXAMPLE_PROMPT = (
    "A cowboy walking through a dusty town at high noon, camera following from behind, cinematic "
    "depth, realistic lighting, western mood, 4K film grain."
)


class TextToVideoHead(FalBaseModel):
    """The fields fal lists first on both text-to-video endpoints (full and distilled)."""

    prompt: str = Field(description="The prompt to generate the video from.", examples=[EXAMPLE_PROMPT])
    num_frames: NumFrames
    video_size: FixedVideoSize
    generate_audio: GenerateAudio
    use_multiscale: UseMultiscale
    fps: Fps


class TextToVideoInput(DistillPasses, SamplerOptions, GuidanceKnobs, TextToVideoHead):
    pass


class TextToVideoLoraInput(DistillPasses, Loras22B, SamplerOptions, GuidanceKnobs, TextToVideoHead):
    pass


class TextToVideoOutput(Output22B):
    pass


class TextToVideoLoraOutput(Output22B):
    pass
