"""`fal-ai/ltx-2.3-22b/distilled/text-to-video` and `/lora`: the distilled recipe from a prompt.

Same head as the full-model text-to-video; no step count and no guidance knobs (the distilled
schedule is fixed), `acceleration` defaults to `none`, and only the second-pass distilled-LoRA
scale is exposed (docs/fal-endpoints.md, "distilled/text-to-video").
"""

from __future__ import annotations

from ltx_serve.schemas.family_22b import DistilledSamplerOptions, Loras22B, Output22B, SecondPass
from ltx_serve.schemas.text_to_video import TextToVideoHead


class DistilledTextToVideoInput(SecondPass, DistilledSamplerOptions, TextToVideoHead):
    pass


class DistilledTextToVideoLoraInput(SecondPass, Loras22B, DistilledSamplerOptions, TextToVideoHead):
    pass


class DistilledTextToVideoOutput(Output22B):
    pass


class DistilledTextToVideoLoraOutput(Output22B):
    pass
