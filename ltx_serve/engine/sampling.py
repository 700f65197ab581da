"""Recipe + decoded media -> the sampler's `GenerationPlan` (the one place the two meet).

`presets.Recipe` is plain data; this module maps it onto `ltx_serve.pipelines.plan`'s types
(stages, guidance, steppers, conditioning items) so the sampler runs exactly the recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

from ltx_serve.engine.recipes import Recipe, Scales, StageRecipe
from ltx_serve.pipelines.conditioning import LatentItem, PixelItem
from ltx_serve.pipelines.guidance import Guidance, GuidanceParams
from ltx_serve.pipelines.plan import GenerationPlan, StagePlan, StepCallback


def _params(s: Scales) -> GuidanceParams:
    return GuidanceParams(cfg=s.cfg, stg=s.stg, modality=s.modality, rescale=s.rescale)


def stage_plan(stage: StageRecipe, rename: Mapping[str, str] | None = None) -> StagePlan:
    """One recipe stage as the sampler's `StagePlan`; `rename` maps recipe LoRA names to registry names."""
    names = rename or {}
    loras = tuple((names.get(n, n), s) for n, s in stage.loras)
    guidance = Guidance(video=_params(stage.video), audio=_params(stage.audio), stg_blocks=stage.stg_blocks)
    if stage.sigmas is not None:
        return StagePlan(
            sigmas=tuple(stage.sigmas),
            steps=len(stage.sigmas) - 1,
            stepper=stage.stepper,
            stepper_options=stage.stepper_options,
            guidance=guidance,
            loras=loras,
        )
    return StagePlan(
        schedule=stage.schedule,
        steps=stage.steps,
        stepper=stage.stepper,
        stepper_options=stage.stepper_options,
        guidance=guidance,
        loras=loras,
    )


@dataclass(frozen=True)
class PlanInputs:
    """What the engine decoded/encoded for one request."""

    prompt: str
    seed: int
    conditions: tuple[PixelItem | LatentItem, ...]
    lora_names: Mapping[str, str]  # recipe name -> registry name (user LoRAs by content hash)
    max_sequence_length: int = 1024
    on_step: StepCallback | None = None
    check_cancel: Callable[[], None] | None = None


def generation_plan(recipe: Recipe, inputs: PlanInputs) -> GenerationPlan:
    """The validated sampler plan for a recipe (size = the recipe's generation size)."""
    plan = GenerationPlan(
        width=recipe.gen_width,
        height=recipe.gen_height,
        num_frames=recipe.num_frames,
        fps=recipe.fps,
        seed=inputs.seed,
        prompt=inputs.prompt,
        negative_prompt=recipe.negative_prompt or "",
        conditions=inputs.conditions,
        stage1=stage_plan(recipe.stage1, inputs.lora_names),
        stage2=stage_plan(recipe.stage2, inputs.lora_names) if recipe.stage2 is not None else None,
        max_sequence_length=inputs.max_sequence_length,
        on_step=inputs.on_step,
        check_cancel=inputs.check_cancel,
    )
    return plan.validate()


def centre_crop(frames: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """uint8 [F, H, W, 3] -> [F, height, width, 3] (two-stage output back to the 32-grid size)."""
    h, w = frames.shape[1], frames.shape[2]
    if (w, h) == (width, height):
        return frames
    top, left = (h - height) // 2, (w - width) // 2
    return frames[:, top : top + height, left : left + width]
