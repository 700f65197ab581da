"""`fal-ai/ltx-2.3-22b/distilled/image-to-video` and `/lora`: the distilled recipe from a first
frame and an optional last frame.

Same head and keyframe tail as the full-model image-to-video, without the step count and
guidance knobs (docs/fal-endpoints.md, "distilled/image-to-video").
"""

from __future__ import annotations

from ltx_serve.schemas.family_22b import DistilledSamplerOptions, Loras22B, Output22B, SecondPass
from ltx_serve.schemas.image_to_video import ImageToVideoHead, ImageToVideoTail


class DistilledImageToVideoInput(ImageToVideoTail, SecondPass, DistilledSamplerOptions, ImageToVideoHead):
    pass


class DistilledImageToVideoLoraInput(
    ImageToVideoTail, SecondPass, Loras22B, DistilledSamplerOptions, ImageToVideoHead
):
    pass


class DistilledImageToVideoOutput(Output22B):
    pass


class DistilledImageToVideoLoraOutput(Output22B):
    pass
