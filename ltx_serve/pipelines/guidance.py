"""Multimodal guidance (official LTX-2.3 recipe) with all passes of a step in ONE transformer call.

Per step up to four predictions are needed: cond (positive prompt), uncond (negative prompt),
perturbed (self-attention replaced by its value projection on the STG blocks) and isolated
(audio<->video cross-attention off). They are stacked along the batch and run once:

- uncond differs only in its text context, which is per sample anyway;
- STG uses diffusers' per-sample `perturbation_mask` (0 = perturbed sample), limited to the
  modalities whose STG scale is on (`stg_modalities`), as ltx-core;
- modality isolation is a bool for the whole call in diffusers, so we zero the outputs of
  `audio_to_video_attn` / `video_to_audio_attn` for the isolated samples with forward hooks.
  Each block adds `gate * attn_out` to the residual, so a zero output is exactly "skipped".

A neutral scale (cfg 1, stg 0, modality 1) in *both* modalities drops its pass. The combination
is ltx-core's `MultiModalGuider.calculate`, done in x0 space per modality:
  pred = c + (cfg-1)(c-u) + stg(c-p) + (mod-1)(c-m); with rescale r: pred *= r*std(c)/std(pred) + 1-r.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

DEFAULT_STG_BLOCKS: tuple[int, ...] = (28,)


class Pass(enum.Enum):
    COND = "cond"
    UNCOND = "uncond"
    PERTURBED = "perturbed"
    ISOLATED = "isolated"


@dataclass(frozen=True)
class GuidanceParams:
    """Guidance for one modality. Defaults are neutral (no extra passes)."""

    cfg: float = 1.0
    stg: float = 0.0
    modality: float = 1.0
    rescale: float = 0.0

    def combine(
        self,
        cond: torch.Tensor,
        uncond: torch.Tensor | None,
        perturbed: torch.Tensor | None,
        isolated: torch.Tensor | None,
    ) -> torch.Tensor:
        pred = cond
        if self.cfg != 1.0 and uncond is not None:
            pred = pred + (self.cfg - 1.0) * (cond - uncond)
        if self.stg != 0.0 and perturbed is not None:
            pred = pred + self.stg * (cond - perturbed)
        if self.modality != 1.0 and isolated is not None:
            pred = pred + (self.modality - 1.0) * (cond - isolated)
        if self.rescale != 0.0 and pred is not cond:
            dims = tuple(range(1, cond.ndim))
            factor = cond.std(dim=dims, keepdim=True) / pred.std(dim=dims, keepdim=True)
            pred = pred * (self.rescale * factor + (1.0 - self.rescale))
        return pred


OFF = GuidanceParams()
VIDEO_DEFAULT = GuidanceParams(cfg=3.0, stg=1.0, modality=3.0, rescale=0.7)
AUDIO_DEFAULT = GuidanceParams(cfg=7.0, stg=1.0, modality=3.0, rescale=0.7)


@dataclass(frozen=True)
class Guidance:
    """Video and audio guidance plus the STG blocks (shared, as in diffusers' transformer)."""

    video: GuidanceParams = OFF
    audio: GuidanceParams = OFF
    stg_blocks: tuple[int, ...] = DEFAULT_STG_BLOCKS

    def passes(self) -> tuple[Pass, ...]:
        out = [Pass.COND]
        v, a = self.video, self.audio
        if v.cfg != 1.0 or a.cfg != 1.0:
            out.append(Pass.UNCOND)
        if (v.stg != 0.0 or a.stg != 0.0) and self.stg_blocks:
            out.append(Pass.PERTURBED)
        if v.modality != 1.0 or a.modality != 1.0:
            out.append(Pass.ISOLATED)
        return tuple(out)

    def diffusers_kwargs(self) -> dict[str, object]:
        """The same guidance as diffusers' LTX2 pipeline arguments (all eight scales set
        explicitly: its audio scales fall back to the video ones when left out)."""
        v, a = self.video, self.audio
        return {
            "guidance_scale": v.cfg,
            "stg_scale": v.stg,
            "modality_scale": v.modality,
            "guidance_rescale": v.rescale,
            "audio_guidance_scale": a.cfg,
            "audio_stg_scale": a.stg,
            "audio_modality_scale": a.modality,
            "audio_guidance_rescale": a.rescale,
            "spatio_temporal_guidance_blocks": list(self.stg_blocks),
        }


@contextlib.contextmanager
def isolate_samples(transformer: torch.nn.Module, keep: torch.Tensor | None) -> Iterator[None]:
    """Zero the A<->V cross-attention outputs for samples where `keep` is 0 (shape [B])."""
    if keep is None:
        yield
        return
    scale = keep.view(-1, 1, 1)
    handles = []

    def hook(_module: torch.nn.Module, _args: object, output: torch.Tensor) -> torch.Tensor:
        return output * scale.to(output)

    for block in transformer.transformer_blocks:
        handles.append(block.audio_to_video_attn.register_forward_hook(hook))
        handles.append(block.video_to_audio_attn.register_forward_hook(hook))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


@contextlib.contextmanager
def stg_modalities(transformer: torch.nn.Module, video: bool, audio: bool) -> Iterator[None]:
    """Limit STG to the modalities whose STG scale is on (ltx-core's SKIP_VIDEO/AUDIO_SELF_ATTN).

    diffusers hands the same `perturbation_mask` to the video and the audio self-attention of an
    STG block; a pre-hook drops it from the modality that must not be perturbed. It matters:
    audio-to-video guides video only, and perturbing the audio would leak into the video through
    the audio->video cross-attention.
    """
    if video and audio:
        yield
        return

    def unperturbed(_module: torch.nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return args, {**kwargs, "perturbation_mask": None, "all_perturbed": False}

    handles = []
    for block in transformer.transformer_blocks:
        if not video:
            handles.append(block.attn1.register_forward_pre_hook(unperturbed, with_kwargs=True))
        if not audio:
            handles.append(block.audio_attn1.register_forward_pre_hook(unperturbed, with_kwargs=True))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def split_passes(pred: torch.Tensor, passes: Sequence[Pass]) -> dict[Pass, torch.Tensor]:
    """Batch [P*B, ...] (pass-major) -> {pass: [B, ...]}."""
    chunks = pred.chunk(len(passes), dim=0)
    return dict(zip(passes, chunks, strict=True))
