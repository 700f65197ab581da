"""The start-up sequence for the transformer's performance paths, in the one order that works.

Order matters: fp8 casting changes the weights a compiled graph captures, so it is done
before, by the memory plan (`models.memory_plan.apply_plan`, the one place that chooses
precision); the attention backend is an attribute the compiled blocks guard on; compiling must
come before warm-up; and warm-up must come last so its compiles are the ones requests reuse.
The engine calls `prepare_transformer` once after `apply_plan`/LoRA setup and before marking
itself ready.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from ltx_serve.accel.attention import (
    AttentionChoice,
    DeviceInfo,
    apply_attention_backend,
    choose_attention_backend,
)
from ltx_serve.accel.compile import WarmupShape, compile_transformer, warmup

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccelOptions:
    """Engine-level switches (from settings); defaults are the conservative production choice."""

    needs_self_attn_mask: bool = True  # IC-LoRA endpoints with attention strength < 1
    needs_text_mask: bool = True  # False once the sampler drops all-ones prompt masks
    allow_quantized_attention: bool = False
    compile: bool = False  # torch.compile is opt-in until measured on the target GPU
    uses_stg: bool = True  # the dev recipe perturbs blocks: no fullgraph
    warmup_shapes: tuple[WarmupShape, ...] = field(default=())


@dataclass(frozen=True)
class AccelState:
    """What was enabled (for `Engine.info()` and the start-up log)."""

    attention: AttentionChoice
    compile_options: dict[str, object] | None
    warmup_seconds: tuple[float, ...]

    def describe(self) -> str:
        parts = [self.attention.describe()]
        if self.compile_options is not None:
            parts.append(f"compiled {self.compile_options}")
        if self.warmup_seconds:
            parts.append(f"warm-up {sum(self.warmup_seconds):.1f} s over {len(self.warmup_seconds)} shapes")
        return "; ".join(parts)


def prepare_transformer(
    transformer: torch.nn.Module,
    device_info: DeviceInfo,
    options: AccelOptions,
    *,
    compute_dtype: torch.dtype = torch.bfloat16,
    warmup_shapes: Sequence[WarmupShape] | None = None,
) -> AccelState:
    """Attention backends -> compile -> warm-up, as `options` asks (fp8: `apply_plan`, before)."""
    choice = choose_attention_backend(
        device_info,
        options.needs_self_attn_mask,
        compute_dtype=compute_dtype,
        allow_quantized=options.allow_quantized_attention,
        needs_text_mask=options.needs_text_mask,
    )
    apply_attention_backend(transformer, choice)
    compile_options = None
    if options.compile:
        compile_options = compile_transformer(transformer, uses_stg=options.uses_stg)
    shapes = tuple(warmup_shapes if warmup_shapes is not None else options.warmup_shapes)
    seconds = tuple(warmup(transformer, shapes, choice)) if shapes else ()
    state = AccelState(choice, compile_options, seconds)
    logger.info("accel: %s", state.describe())
    return state
