"""A `LoraControl` over diffusers/peft adapters already loaded into the transformer.

The model registry owns loading and naming adapters; the sampler only says, per stage, which
scale each adapter gets (e.g. distilled LoRA 0.25 in stage 1 and 0.5 in stage 2, IC-LoRA 1.0 in
stage 1 and off in stage 2). Adapters not named for a stage are set to 0, so nothing leaks from
one stage (or job) into the next.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import torch

logger = logging.getLogger(__name__)


class PeftLoraControl:
    """`set_loras({name: scale})` via `transformer.set_adapters` (diffusers' PeftAdapterMixin)."""

    def __init__(self, transformer: torch.nn.Module) -> None:
        self.transformer = transformer

    def adapter_names(self) -> list[str]:
        config = getattr(self.transformer, "peft_config", None) or {}
        return sorted(config)

    def set_loras(self, scales: Mapping[str, float]) -> None:
        names = self.adapter_names()
        unknown = set(scales) - set(names)
        if unknown:
            raise ValueError(f"LoRA adapter(s) not loaded: {sorted(unknown)}")
        if not names:
            return
        weights = [float(scales.get(n, 0.0)) for n in names]
        logger.debug("LoRA scales %s", dict(zip(names, weights, strict=True)))
        self.transformer.set_adapters(names, weights)
