"""Conditioning items and the one place they are applied to the video and audio latent states.

Two layers:
- *latent* items (`LatentFrames`, `LatentKeyframe`, `LatentReference`, `LatentAudio`,
  `LatentStart`) hold normalised VAE latents and are applied by `apply_conditions`, one loop
  over both modalities, mirroring ltx-core's `ConditioningItem.apply_to`;
- *pixel* items (`ImageCondition`, `ReferenceVideo`, `InputVideo`, `InitialVideo`) are what the
  endpoint wiring builds; `encode_conditions` (in `encode.py`) turns them into latent items at
  each stage's resolution, so stage 2 re-encodes images at full size.

A `LatentState` carries, per token: the current latent, the clean latent it is blended with,
the denoise mask (1 = generate, 0 = keep clean; 1 - strength for conditions) and the RoPE
positions. Appended tokens (keyframes, references) always go after the target tokens and are
cut off after sampling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch

from ltx_serve.pipelines.latents import pack_video, video_positions


@dataclass(frozen=True)
class LatentState:
    latent: torch.Tensor  # [B, N, C]
    clean: torch.Tensor  # [B, N, C]
    mask: torch.Tensor  # [B, N, 1] denoise mask
    positions: torch.Tensor  # [B, D, N, 2]
    attention: torch.Tensor | None = None  # [B, N, N] multiplicative self-attention weights
    target_tokens: int = 0  # tokens before any appended conditioning

    @property
    def frozen(self) -> bool:
        """True when nothing in this modality is denoised (e.g. audio-to-video's input audio)."""
        return bool((self.mask == 0).all())

    def target(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, : self.target_tokens]


# ----------------------------------------------------------------------------- latent items


@dataclass(frozen=True)
class LatentFrames:
    """Replace latent frames starting at `latent_index` (first-frame image, input video).

    `latent` is normalised [1, C, F, H, W] on the target grid; denoise mask = 1 - strength.
    With `keep_start` the state's current latent stays the starting point and these frames
    only become the clean target the denoiser is pulled towards (by `strength`): stage 2
    refines the upsampled stage-1 result this way instead of restarting from the input.
    """

    latent: torch.Tensor
    strength: float = 1.0
    latent_index: int = 0
    keep_start: bool = False


@dataclass(frozen=True)
class LatentKeyframe:
    """Append tokens for an image placed at pixel frame `frame_index` (middle/end keyframes)."""

    latent: torch.Tensor
    frame_index: int
    strength: float = 1.0


@dataclass(frozen=True)
class LatentReference:
    """IC-LoRA reference: appended tokens at 1/`downscale_factor` resolution.

    Spatial positions are multiplied by the factor so the reference overlays the target grid.
    `attention_strength` < 1 (or a per-token [M] tensor) weakens target<->reference attention
    through a self-attention mask (log-space bias, as ltx-core).
    """

    latent: torch.Tensor
    downscale_factor: int = 1
    strength: float = 1.0
    attention_strength: float | torch.Tensor = 1.0


@dataclass(frozen=True)
class LatentAudio:
    """Condition the audio track on given (normalised, packed [1, T, C*M]) tokens.

    strength 1.0 freezes the audio (audio-to-video); lower values let it be re-generated.
    """

    tokens: torch.Tensor
    strength: float = 1.0
    keep_start: bool = False  # as `LatentFrames.keep_start`


@dataclass(frozen=True)
class LatentStart:
    """True video-to-video: start from these latents re-noised at the schedule's sigma.

    `denoise_strength` in (0, 1]: the sampler skips the first round(N * (1 - strength)) steps
    and noises the latents to that step's sigma (SDEdit).
    """

    video: torch.Tensor  # normalised [1, C, F, H, W] on the target grid
    denoise_strength: float
    audio: torch.Tensor | None = None  # normalised packed audio tokens [1, T, C*M]


LatentItem = LatentFrames | LatentKeyframe | LatentReference | LatentAudio | LatentStart


# ----------------------------------------------------------------------------- pixel items


@dataclass(frozen=True)
class ImageCondition:
    """An image (uint8 [H, W, 3]) at pixel frame `frame_index`; 0 replaces the first latent frame."""

    image: torch.Tensor
    frame_index: int = 0
    strength: float = 1.0
    crf: int = 33  # H.264 re-encode as upstream (mimics training compression); 0 disables


@dataclass(frozen=True)
class ReferenceVideo:
    """IC-LoRA control video (uint8 [F, H, W, 3]); stage 1 only (stage 2 runs without it)."""

    frames: torch.Tensor
    downscale_factor: int = 1
    strength: float = 1.0
    attention_strength: float = 1.0


@dataclass(frozen=True)
class InputVideo:
    """Input video frames (uint8 [F, H, W, 3]) kept with `strength` (fal's `video_strength`)."""

    frames: torch.Tensor
    strength: float = 1.0


@dataclass(frozen=True)
class InitialVideo:
    """Input video as starting point for video-to-video with denoise `strength`; stage 1 only."""

    frames: torch.Tensor
    denoise_strength: float


@dataclass(frozen=True)
class InputAudio:
    """Input audio as 16 kHz stereo float [2, N] (fal's `audio_strength`; 1.0 = audio-to-video).

    strength 1.0 freezes the soundtrack in every stage (the caller then muxes its original
    waveform); lower values let the model re-generate it around the input.
    """

    waveform: torch.Tensor
    strength: float = 1.0


PixelItem = ImageCondition | ReferenceVideo | InputVideo | InitialVideo | InputAudio


def used_in_stage2(item: PixelItem | LatentItem) -> bool:
    """Stage 2 refines the upsampled result: no reference, no SDEdit start; images re-applied."""
    return not isinstance(item, ReferenceVideo | InitialVideo | LatentReference | LatentStart)


# ----------------------------------------------------------------------------- the one loop


def _attention_bias_weights(strength: float | torch.Tensor, m: int) -> torch.Tensor:
    if isinstance(strength, torch.Tensor):
        w = strength.float().flatten()
        if w.numel() != m:
            raise ValueError(f"attention mask has {w.numel()} entries, reference has {m} tokens")
        return w
    return torch.full((m,), float(strength))


def _extend_attention(state: LatentState, m: int, cross: torch.Tensor | None) -> torch.Tensor | None:
    """Grow the [B, N, N] mask by M appended tokens (block layout of ltx-core's mask_utils).

    target<->new = cross weights, previously appended<->new = 0, new<->new = 1.
    """
    if cross is None and state.attention is None:
        return None
    b, n = state.latent.shape[0], state.latent.shape[1]
    dev = state.latent.device
    old = state.attention if state.attention is not None else torch.ones(b, n, n, device=dev)
    cross_w = (cross if cross is not None else torch.ones(m)).to(dev)
    out = torch.zeros(b, n + m, n + m, dtype=old.dtype, device=dev)
    out[:, :n, :n] = old
    t = state.target_tokens
    out[:, :t, n:] = cross_w.view(1, 1, m)
    out[:, n:, :t] = cross_w.view(1, m, 1)
    out[:, n:, n:] = 1.0
    return out


def _append(
    state: LatentState, tokens: torch.Tensor, positions: torch.Tensor, strength: float, cross
) -> LatentState:
    m = tokens.shape[1]
    mask = torch.full(
        (tokens.shape[0], m, 1), 1.0 - strength, dtype=state.mask.dtype, device=state.mask.device
    )
    return replace(
        state,
        latent=torch.cat([state.latent, tokens.to(state.latent)], dim=1),
        clean=torch.cat([state.clean, tokens.to(state.clean)], dim=1),
        mask=torch.cat([state.mask, mask], dim=1),
        positions=torch.cat([state.positions, positions.to(state.positions)], dim=2),
        attention=_extend_attention(state, m, cross),
    )


def apply_conditions(
    items: Sequence[LatentItem], video: LatentState, audio: LatentState, *, fps: float
) -> tuple[LatentState, LatentState]:
    """Apply every latent item, in order, to the (video, audio) states."""
    for item in items:
        if isinstance(item, LatentFrames):
            _, _, f, h, w = item.latent.shape
            start = item.latent_index * h * w
            stop = start + f * h * w
            if stop > video.target_tokens:
                raise ValueError("conditioning frames run past the end of the video")
            tok = pack_video(item.latent).to(video.latent)
            lat, clean, mask = video.latent.clone(), video.clean.clone(), video.mask.clone()
            clean[:, start:stop] = tok
            if not item.keep_start:
                lat[:, start:stop] = tok
            mask[:, start:stop] = 1.0 - item.strength
            video = replace(video, latent=lat, clean=clean, mask=mask)
        elif isinstance(item, LatentKeyframe):
            _, _, f, h, w = item.latent.shape
            pos = video_positions(
                f, h, w, fps, frame_offset=item.frame_index, causal_fix=item.frame_index == 0
            )
            video = _append(video, pack_video(item.latent), pos, item.strength, None)
        elif isinstance(item, LatentReference):
            _, _, f, h, w = item.latent.shape
            pos = video_positions(f, h, w, fps, spatial_scale=item.downscale_factor)
            m = f * h * w
            strength = item.attention_strength
            needs_mask = isinstance(strength, torch.Tensor) or not math.isclose(float(strength), 1.0)
            cross = _attention_bias_weights(strength, m) if needs_mask else None
            video = _append(video, pack_video(item.latent), pos, item.strength, cross)
        elif isinstance(item, LatentAudio):
            if item.tokens.shape[1] != audio.target_tokens:
                raise ValueError(
                    f"audio condition has {item.tokens.shape[1]} latent steps, expected {audio.target_tokens}"
                )
            tok = item.tokens.to(audio.latent)
            mask = torch.full_like(audio.mask, 1.0 - item.strength)
            start = audio.latent if item.keep_start else tok.clone()
            audio = replace(audio, latent=start, clean=tok.clone(), mask=mask)
        elif isinstance(item, LatentStart):
            tok = pack_video(item.video).to(video.latent)
            if tok.shape[1] != video.target_tokens:
                raise ValueError("start latents do not match the target video grid")
            lat, clean = video.latent.clone(), video.clean.clone()
            lat[:, : tok.shape[1]], clean[:, : tok.shape[1]] = tok, tok
            video = replace(video, latent=lat, clean=clean)
            if item.audio is not None:
                a = item.audio.to(audio.latent)
                audio = replace(audio, latent=a.clone(), clean=a.clone())
        else:
            raise TypeError(f"not a latent conditioning item: {type(item).__name__}")
    return video, audio


def attention_bias(weights: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Multiplicative weights -> additive logit bias, as ltx-core: log(w), dtype minimum for w <= 0.

    Applied as an additive mask on the video self-attention (see `denoise.self_attention_bias`).
    diffusers' own `video_self_attention_mask` maps m to (1 - m) * -10000 in the model dtype,
    which is linear in m (not log) and cannot express weights near 1 in bfloat16.
    """
    bias = torch.full_like(weights, torch.finfo(dtype).min, dtype=torch.float32)
    pos = weights > 0
    bias[pos] = torch.log(weights[pos].float())
    return bias.to(dtype)
