"""`fal-ai/ltx-2.3-quality/reference-video-to-video/lora`: the same as the base endpoint plus
required user LoRAs (seed 002). Subclassing keeps `loras` last, where seed 002 lists it."""

from __future__ import annotations

from pydantic import Field

from ltx_serve.schemas.common import LoRAInput
from ltx_serve.schemas.reference_video_to_video import (
    ReferenceVideoToVideoInput,
    ReferenceVideoToVideoOutput,
)

MAX_LORAS = 3
EXAMPLE_LORA = {"path": "https://example.com/path/to/lora.safetensors", "scale": 1, "transformer": "both"}


class ReferenceVideoToVideoLoraInput(ReferenceVideoToVideoInput):
    loras: list[LoRAInput] = Field(
        min_length=1,
        max_length=MAX_LORAS,
        description=(
            "Up to 3 LoRAs to apply on top of LTX-2.3. Each path is downloaded through the "
            "registry SSRF-safe downloader before it is loaded. Max size: 3 GB per LoRA."
        ),
        examples=[[EXAMPLE_LORA]],
    )


class ReferenceVideoToVideoLoraOutput(ReferenceVideoToVideoOutput):
    pass
