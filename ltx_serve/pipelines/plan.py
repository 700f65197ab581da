"""The frozen description of one generation job, validated before anything runs.

The endpoint wiring builds a `GenerationPlan` from a request (presets fill the defaults) and
hands it with the resident components to `ltx_serve.pipelines.sampler.generate`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import torch

from ltx_serve.errors import FieldError
from ltx_serve.pipelines.conditioning import LatentItem, PixelItem
from ltx_serve.pipelines.guidance import Guidance
from ltx_serve.pipelines.schedules import SCHEDULES
from ltx_serve.pipelines.steppers import make_stepper
from ltx_serve.pipelines.text import PromptEmbeddings

StepCallback = Callable[[str, int, int, float], None]  # (stage, step, total_steps, sigma)


class Components(Protocol):
    """The model set the sampler needs; `ltx_serve.models.components.LTXComponents` fits it."""

    transformer: Any
    connectors: Any
    vae: Any
    audio_vae: Any
    vocoder: Any
    text_encoder: Any | None
    tokenizer: Any | None
    upsampler: Any | None


class LoraControl(Protocol):
    """What the sampler needs from the model registry: set adapter scales for the next stage.

    Names absent from `scales` are disabled (scale 0) for that stage.
    """

    def set_loras(self, scales: Mapping[str, float]) -> None: ...


@dataclass(frozen=True)
class StagePlan:
    """One denoising stage: schedule, stepper, guidance, LoRA scales."""

    schedule: str = "ltx2"
    steps: int = 30
    sigmas: tuple[float, ...] | None = None  # explicit list (ending in 0) overrides schedule/steps
    schedule_tokens: int | None = None  # ltx2 shift by token count; None = upstream's 4096
    stepper: str = "euler"
    stepper_options: tuple[tuple[str, float], ...] = ()
    guidance: Guidance = field(default_factory=Guidance)
    loras: tuple[tuple[str, float], ...] = ()

    def make_sigmas(self) -> torch.Tensor:
        from ltx_serve.pipelines.schedules import make_sigmas

        if self.sigmas is not None:
            return torch.tensor(self.sigmas, dtype=torch.float32)
        return make_sigmas(self.schedule, self.steps, self.schedule_tokens)


def stage2_default(loras: tuple[tuple[str, float], ...] = ()) -> StagePlan:
    """Upstream stage 2: 3 distilled sigmas from 0.909375, Euler, no guidance."""
    return StagePlan(schedule="stage2_distilled", steps=3, loras=loras)


@dataclass(frozen=True)
class GenerationPlan:
    """Everything one job needs. `stage2` set = multiscale (stage 1 runs at half size)."""

    width: int
    height: int
    num_frames: int
    fps: float
    seed: int
    prompt: str | PromptEmbeddings
    negative_prompt: str | PromptEmbeddings = ""
    conditions: tuple[PixelItem | LatentItem, ...] = ()
    stage1: StagePlan = field(default_factory=StagePlan)
    stage2: StagePlan | None = None
    max_sequence_length: int = 1024
    use_cross_timestep: bool = True
    output: Literal["latents", "decoded"] = "decoded"
    on_step: StepCallback | None = None
    check_cancel: Callable[[], None] | None = None
    # Test/parity hook: exact initial noise for stage 1 (video [1,N,C] or [1,C,F,H,W], audio [1,T,C*M]).
    initial_noise: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def multiscale(self) -> bool:
        return self.stage2 is not None

    def stage1_size(self) -> tuple[int, int]:
        return (self.height // 2, self.width // 2) if self.multiscale else (self.height, self.width)

    def validate(self) -> GenerationPlan:
        """Fail fast on geometry and settings the sampler cannot honour."""
        div = 64 if self.multiscale else 32
        if self.width % div or self.height % div or self.width <= 0 or self.height <= 0:
            field_name = "width" if self.width % div or self.width <= 0 else "height"
            raise FieldError(
                field_name,
                f"width and height must be positive multiples of {div} (got {self.width}x{self.height})",
            )
        if self.num_frames < 1 or (self.num_frames - 1) % 8:
            raise FieldError("num_frames", f"num_frames must be 8k+1 (got {self.num_frames})")
        if not self.fps > 0:
            raise FieldError("fps", "fps must be positive")
        for name, stage in (("stage1", self.stage1), ("stage2", self.stage2)):
            if stage is None:
                continue
            if stage.sigmas is None and stage.schedule not in SCHEDULES:
                raise FieldError("scheduler", f"unknown schedule {stage.schedule!r}")
            if stage.sigmas is not None and (len(stage.sigmas) < 2 or stage.sigmas[-1] != 0.0):
                raise ValueError(f"{name}: explicit sigmas must have >= 2 entries and end in 0")
            make_stepper(stage.stepper, **dict(stage.stepper_options))
        from ltx_serve.pipelines.conditioning import (
            LatentFrames,
            LatentKeyframe,
            LatentReference,
            LatentStart,
        )

        for item in self.conditions:
            if self.multiscale and isinstance(
                item, LatentFrames | LatentKeyframe | LatentReference | LatentStart
            ):
                raise ValueError(
                    f"{type(item).__name__} has one-resolution latents; multiscale plans need pixel items"
                )
            s = getattr(item, "strength", None)
            if s is not None and not 0.0 <= float(s) <= 1.0:
                raise FieldError("strength", f"conditioning strength must be in [0, 1] (got {s})")
            d = getattr(item, "denoise_strength", None)
            if d is not None and not 0.0 < float(d) <= 1.0:
                raise FieldError("strength", f"denoise strength must be in (0, 1] (got {d})")
        return self
