"""Decoding: video latents -> uint8 frame chunks with bounded memory; audio -> 48 kHz stereo.

Temporal tiling (ours): windows of `window` latent frames overlapping by `overlap`. A window
starting at latent frame s > 0 is decoded with one extra latent frame of left context, whose
(single-frame, "first frame") output is dropped, so the rest lines up exactly with pixel frames
[8s - 7, 8(s + window) - 7). Overlapping pixel frames are cross-faded linearly, and frames are
yielded as soon as no later window touches them, so peak memory is one window's worth of
frames (481 frames at 1536x1024 never sit in memory at once). Spatial tiling inside a window is
the VAE's own `tiled_decode` (tiles of `tile_px` with `tile_overlap_px` blending).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from ltx_serve.pipelines.latents import denormalize_audio_tokens, denormalize_video, unpack_audio


def _to_uint8(frames: torch.Tensor) -> torch.Tensor:
    """[F, 3, H, W] in [-1, 1] -> uint8 [F, H, W, 3]."""
    x = ((frames.float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous()


@torch.no_grad()
def _decode_window(vae: torch.nn.Module, z: torch.Tensor, tile_px: int, tile_overlap_px: int) -> torch.Tensor:
    """Raw latents [1, C, f, h, w] -> pixels [f', 3, H, W]."""
    h, w = z.shape[-2] * 32, z.shape[-1] * 32
    if h > tile_px or w > tile_px:
        # `tiled_decode` reads its tile sizes from the (shared) VAE: set them, then restore.
        names = (
            "use_tiling",
            "tile_sample_min_height",
            "tile_sample_min_width",
            "tile_sample_stride_height",
            "tile_sample_stride_width",
        )
        saved = {n: getattr(vae, n) for n in names}
        try:
            vae.enable_tiling(
                tile_sample_min_height=tile_px,
                tile_sample_min_width=tile_px,
                tile_sample_stride_height=tile_px - tile_overlap_px,
                tile_sample_stride_width=tile_px - tile_overlap_px,
            )
            out = vae.tiled_decode(z, None, return_dict=False)[0]
        finally:
            for n, v in saved.items():
                setattr(vae, n, v)
    else:
        out = vae.decoder(z, None)
    return out[0].permute(1, 0, 2, 3).float().cpu()


@torch.no_grad()
def decode_video_chunks(
    vae: torch.nn.Module,
    latent: torch.Tensor,
    *,
    window: int = 8,
    overlap: int = 3,
    tile_px: int = 512,
    tile_overlap_px: int = 64,
) -> Iterator[torch.Tensor]:
    """Yield uint8 [f, H, W, 3] chunks covering all 8(F-1)+1 frames of normalised `latent`."""
    if not 0 <= overlap < window:
        raise ValueError("need 0 <= overlap < window")
    p = next(vae.parameters())
    raw = denormalize_video(latent.float(), vae).to(p.device, p.dtype)
    n_lat = raw.shape[2]
    total = 8 * (n_lat - 1) + 1
    pending: torch.Tensor | None = None  # decoded frames not yet yielded (may still be blended)
    pending_start = 0
    s = 0
    while True:
        e = min(s + window, n_lat)
        if s == 0:
            px = _decode_window(vae, raw[:, :, 0:e], tile_px, tile_overlap_px)
            start = 0
        else:
            px = _decode_window(vae, raw[:, :, s - 1 : e], tile_px, tile_overlap_px)[1:]
            start = 8 * s - 7
        if pending is None:
            pending, pending_start = px, start
        else:
            ov = pending_start + pending.shape[0] - start  # overlapping frames
            if ov > 0:
                ramp = torch.linspace(0, 1, ov + 2)[1:-1].view(-1, 1, 1, 1)
                blended = pending[-ov:] * (1 - ramp) + px[:ov] * ramp
                pending = torch.cat([pending[:-ov], blended, px[ov:]], dim=0)
            else:
                pending = torch.cat([pending, px], dim=0)
        if e >= n_lat:
            break
        s = e - overlap
        next_start = 8 * s - 7 if s > 0 else 0
        ready = next_start - pending_start
        if ready > 0:
            yield _to_uint8(pending[:ready])
            pending, pending_start = pending[ready:], next_start
    if pending is not None:
        yield _to_uint8(pending[: total - pending_start])


@torch.no_grad()
def decode_audio(
    audio_vae: torch.nn.Module, vocoder: torch.nn.Module, tokens: torch.Tensor, mel_bins: int
) -> tuple[torch.Tensor, int]:
    """Normalised packed audio tokens -> (waveform [2, samples] float in [-1, 1], sample rate)."""
    p = next(audio_vae.parameters())
    raw = unpack_audio(denormalize_audio_tokens(tokens.float(), audio_vae), mel_bins).to(p.device, p.dtype)
    mel = audio_vae.decode(raw, return_dict=False)[0]
    wave = vocoder(mel.to(next(vocoder.parameters()).dtype))
    return wave[0].float().clamp(-1, 1).cpu(), int(vocoder.config.output_sampling_rate)
