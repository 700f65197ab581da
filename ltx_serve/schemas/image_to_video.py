"""`fal-ai/ltx-2.3-22b/image-to-video` and `/lora`: the full 22B model from a first frame, with
an optional last frame (`end_image_url`).

The fields are fal's (docs/fal-endpoints.md, "image-to-video"). `interpolation_direction`
`backward` plays the clip from the end image to the start image; the strengths set how
strictly each keyframe is kept.
"""

from __future__ import annotations

from pydantic import Field

from ltx_serve.schemas.common import FalBaseModel, MediaUrl, aliases
from ltx_serve.schemas.family_22b import (
    Direction,
    DistillPasses,
    EndImageStrength,
    EndImageUrl,
    Fps,
    GenerateAudio,
    GuidanceKnobs,
    ImageStrength,
    Loras22B,
    NumFrames,
    Output22B,
    SamplerOptions,
    UseMultiscale,
    VideoSize,
)

EXAMPLE_PROMPT = (
    "A woman stands still amid a busy neon-lit street at night. The camera slowly dollies in toward "
    "her face as people blur past, their motion emphasizing her calm presence. City lights flicker "
    "and reflections shift across her denim jacket."
)
EXAMPLE_IMAGE_URL = "https://storage.googleapis.com/falserverless/example_inputs/ltxv-2-i2v-input.jpg"


class ImageToVideoHead(FalBaseModel):
    """The fields fal lists first on both image-to-video endpoints (full and distilled)."""

    prompt: str = Field(description="The prompt used for the generation.", examples=[EXAMPLE_PROMPT])
    image_url: MediaUrl = Field(
        validation_alias=aliases("image_url", "input_image"),
        description="The URL of the image to generate the video from.",
        examples=[EXAMPLE_IMAGE_URL],
    )
    end_image_url: EndImageUrl
    num_frames: NumFrames
    video_size: VideoSize
    generate_audio: GenerateAudio
    use_multiscale: UseMultiscale
    fps: Fps


class ImageToVideoTail(FalBaseModel):
    """The keyframe options fal lists last on both image-to-video endpoints."""

    interpolation_direction: Direction = Field(
        Direction.FORWARD,
        description=(
            "The direction to interpolate the image sequence in. 'Forward' goes from the start "
            "image to the end image, 'Backward' goes from the end image to the start image."
        ),
    )
    image_strength: ImageStrength
    end_image_strength: EndImageStrength


class ImageToVideoInput(ImageToVideoTail, DistillPasses, SamplerOptions, GuidanceKnobs, ImageToVideoHead):
    pass


class ImageToVideoLoraInput(
    ImageToVideoTail, DistillPasses, Loras22B, SamplerOptions, GuidanceKnobs, ImageToVideoHead
):
    pass


class ImageToVideoOutput(Output22B):
    pass


class ImageToVideoLoraOutput(Output22B):
    pass
