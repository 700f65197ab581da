"""One denoising stage over joint video+audio latent states.

Per model step: one batched transformer call for all guidance passes (`guidance.py`), velocity ->
x0 with the per-token sigma (mask * sigma, ltx-core's X0Model), per-modality guidance in x0
space, blend conditioned tokens back to their clean values, then the stepper. Progress goes to
`on_step(stage, step, total, sigma)`; `check_cancel()` runs before every model call.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import torch

from ltx_serve.pipelines.conditioning import LatentState, attention_bias
from ltx_serve.pipelines.guidance import Guidance, Pass, isolate_samples, split_passes, stg_modalities
from ltx_serve.pipelines.steppers import Stepper, renoise
from ltx_serve.pipelines.text import PromptEmbeddings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contexts:
    positive: PromptEmbeddings
    negative: PromptEmbeddings | None


def noise_state(state: LatentState, noise: torch.Tensor, scale: float) -> LatentState:
    """ltx-core GaussianNoiser: x = n * (mask * scale) + x * (1 - mask * scale)."""
    m = state.mask * scale
    return replace(state, latent=(noise.to(state.latent) * m + state.latent * (1 - m)).to(state.latent.dtype))


@contextlib.contextmanager
def self_attention_bias(transformer: torch.nn.Module, bias: torch.Tensor | None) -> Iterator[None]:
    """Feed an additive [B, N, N] bias to every block's video self-attention (IC-LoRA strength)."""
    if bias is None:
        yield
        return

    def inject(_module: torch.nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return args, {**kwargs, "attention_mask": bias}

    handles = [
        b.attn1.register_forward_pre_hook(inject, with_kwargs=True) for b in transformer.transformer_blocks
    ]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _pick(passes: tuple[Pass, ...], ctx: Contexts, attr: str) -> torch.Tensor:
    rows = []
    for p in passes:
        emb = ctx.negative if p is Pass.UNCOND else ctx.positive
        if emb is None:
            raise ValueError("guidance needs a negative prompt for the unconditional pass")
        rows.append(getattr(emb, attr))
    return torch.cat(rows, dim=0)


@torch.no_grad()
def predict_x0(
    transformer: torch.nn.Module,
    video: LatentState,
    audio: LatentState,
    sigma: float,
    guidance: Guidance,
    ctx: Contexts,
    *,
    use_cross_timestep: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Guided clean estimates (video [1,N,C], audio [1,T,C']) from ONE transformer call."""
    passes = guidance.passes()
    p = len(passes)
    param = next(transformer.parameters())
    dtype, dev = param.dtype, param.device
    # diffusers' transformer takes timesteps in [0, 1000]; float32 product as its scheduler does.
    t_scale = float(torch.tensor(sigma, dtype=torch.float32) * 1000.0)
    v_t = video.mask[..., 0] * t_scale
    a_t = audio.mask[..., 0] * t_scale
    # Per-sample timesteps unless a mask makes them per token (keeps temb small when possible).
    v_t = v_t[:, 0] if bool((video.mask == 1).all()) else v_t
    a_t = a_t[:, 0] if bool((audio.mask == 1).all()) else a_t
    pert = None
    if Pass.PERTURBED in passes:
        pert = torch.tensor([0.0 if q is Pass.PERTURBED else 1.0 for q in passes], dtype=dtype, device=dev)
    keep = None
    if Pass.ISOLATED in passes:
        keep = torch.tensor([0.0 if q is Pass.ISOLATED else 1.0 for q in passes], dtype=dtype, device=dev)
    bias = None
    if video.attention is not None:
        bias = attention_bias(video.attention, dtype).repeat(p, 1, 1).to(dev)
    sig = torch.full((p,), t_scale, device=dev)
    stg_v, stg_a = guidance.video.stg != 0.0, guidance.audio.stg != 0.0
    with (
        isolate_samples(transformer, keep),
        stg_modalities(transformer, stg_v, stg_a),
        self_attention_bias(transformer, bias),
    ):
        v_out, a_out = transformer(
            hidden_states=video.latent.to(dtype).repeat(p, 1, 1),
            audio_hidden_states=audio.latent.to(dtype).repeat(p, 1, 1),
            encoder_hidden_states=_pick(passes, ctx, "video").to(dev, dtype),
            audio_encoder_hidden_states=_pick(passes, ctx, "audio").to(dev, dtype),
            timestep=v_t.repeat(p, *([1] * (v_t.ndim - 1))),
            audio_timestep=a_t.repeat(p, *([1] * (a_t.ndim - 1))),
            sigma=sig,
            audio_sigma=sig,
            encoder_attention_mask=_pick(passes, ctx, "mask").to(dev),
            audio_encoder_attention_mask=_pick(passes, ctx, "mask").to(dev),
            video_coords=video.positions.repeat(p, 1, 1, 1),
            audio_coords=audio.positions.repeat(p, 1, 1, 1),
            spatio_temporal_guidance_blocks=list(guidance.stg_blocks) if pert is not None else None,
            perturbation_mask=pert,
            use_cross_timestep=use_cross_timestep,
            return_dict=False,
        )
    sig_v = (video.mask * sigma).repeat(p, 1, 1)
    sig_a = (audio.mask * sigma).repeat(p, 1, 1)
    x0_v = video.latent.float().repeat(p, 1, 1) - v_out.float() * sig_v
    x0_a = audio.latent.float().repeat(p, 1, 1) - a_out.float() * sig_a
    pv, pa = split_passes(x0_v, passes), split_passes(x0_a, passes)
    out_v = guidance.video.combine(
        pv[Pass.COND], pv.get(Pass.UNCOND), pv.get(Pass.PERTURBED), pv.get(Pass.ISOLATED)
    )
    out_a = guidance.audio.combine(
        pa[Pass.COND], pa.get(Pass.UNCOND), pa.get(Pass.PERTURBED), pa.get(Pass.ISOLATED)
    )
    return out_v, out_a


def _blend(x0: torch.Tensor, state: LatentState) -> torch.Tensor:
    """Conditioned tokens are pulled to their clean latents (ltx-pipelines post_process_latent)."""
    return x0 * state.mask + state.clean.float() * (1 - state.mask)


def run_stage(
    transformer: torch.nn.Module,
    video: LatentState,
    audio: LatentState,
    sigmas: torch.Tensor,
    stepper: Stepper,
    guidance: Guidance,
    ctx: Contexts,
    *,
    stage: str,
    generator: torch.Generator,
    use_cross_timestep: bool = True,
    on_step: Callable[[str, int, int, float], None] | None = None,
    check_cancel: Callable[[], None] | None = None,
) -> tuple[LatentState, LatentState]:
    """Denoise both states along `sigmas` (via `stepper.expand`); returns the final states."""
    stepper.reset()
    path = stepper.expand([float(s) for s in sigmas.tolist()])
    total = sum(1 for a, b in itertools.pairwise(path) if b < a)
    step = 0
    for s, s_next in itertools.pairwise(path):
        if s_next > s:  # restart jump: re-noise the generated tokens, no model call
            video = _renoised(video, s, s_next, generator)
            audio = audio if audio.frozen else _renoised(audio, s, s_next, generator)
            continue
        if check_cancel is not None:
            check_cancel()
        x0_v, x0_a = predict_x0(
            transformer, video, audio, s, guidance, ctx, use_cross_timestep=use_cross_timestep
        )
        video = _advance(video, _blend(x0_v, video), s, s_next, stepper, "video", generator)
        if not audio.frozen:
            audio = _advance(audio, _blend(x0_a, audio), s, s_next, stepper, "audio", generator)
        if on_step is not None:
            on_step(stage, step, total, s)
        step += 1
    return video, audio


def _advance(
    state: LatentState,
    x0: torch.Tensor,
    s: float,
    s_next: float,
    stepper: Stepper,
    key: str,
    gen: torch.Generator,
) -> LatentState:
    new = stepper.step(key, state.latent, x0, s, s_next, gen)
    new = torch.where(state.mask == 0, state.clean.to(new), new)
    return replace(state, latent=new)


def _renoised(state: LatentState, s: float, s_next: float, gen: torch.Generator) -> LatentState:
    new = renoise(state.latent, s, s_next, gen)
    return replace(state, latent=torch.where(state.mask == 0, state.clean.to(new), new))
