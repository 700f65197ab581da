"""Between the stages of a multiscale run: the x2 latent upsampler.

As ltx-core's `upsample_video`: the upsampler works on raw VAE latents, so un-normalise with
the video VAE's per-channel statistics, upsample x2 spatially, re-normalise.
"""

from __future__ import annotations

import torch

from ltx_serve.pipelines.latents import denormalize_video, normalize_video


@torch.no_grad()
def upsample_latents(upsampler: torch.nn.Module, vae: torch.nn.Module, latent: torch.Tensor) -> torch.Tensor:
    """Normalised [1, C, F, H, W] -> normalised [1, C, F, 2H, 2W]."""
    p = next(upsampler.parameters())
    raw = denormalize_video(latent.float(), vae).to(p.device, p.dtype)
    return normalize_video(upsampler(raw).float(), vae)


def stage1_geometry(height: int, width: int) -> tuple[int, int]:
    """Half size for stage 1; the full size must be a multiple of 64 so both stages are 32-aligned."""
    if height % 64 or width % 64:
        raise ValueError(f"multiscale sizes must be multiples of 64, got {width}x{height}")
    return height // 2, width // 2
