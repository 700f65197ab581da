"""Token layout of the LTX-2.3 latents: patchify, RoPE positions, VAE normalisation.

The transformer sees video as one token per latent voxel ([B, F*H*W, C], frame-major) and
audio as one token per latent time step ([B, T, C*M]). Positions are `[start, end)` bounds in
*pixel* units (frames, rows, cols) with the causal first-frame fix and time divided by fps, as
ltx-core's `get_pixel_coords`; audio bounds are in seconds. Keeping positions explicit (instead
of letting the transformer derive them) is what lets conditioning items append tokens that sit
elsewhere in space-time (keyframes, IC-LoRA references).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

VIDEO_SCALE = (8, 32, 32)  # VAE compression (t, h, w): pixel units per latent step
AUDIO_LATENTS_PER_SECOND = 25.0  # 16 kHz / hop 160 / 4x VAE downsampling
AUDIO_HOP = 160
AUDIO_SAMPLE_RATE = 16000
AUDIO_DOWNSAMPLE = 4


@dataclass(frozen=True)
class VideoGrid:
    """Latent geometry of the target video (one sample)."""

    frames: int
    height: int
    width: int
    channels: int

    @property
    def tokens(self) -> int:
        return self.frames * self.height * self.width

    @classmethod
    def from_pixels(cls, num_frames: int, height: int, width: int, channels: int) -> VideoGrid:
        return cls(
            (num_frames - 1) // VIDEO_SCALE[0] + 1,
            height // VIDEO_SCALE[1],
            width // VIDEO_SCALE[2],
            channels,
        )


@dataclass(frozen=True)
class AudioGrid:
    """Latent geometry of the audio track: `frames` latent steps x `mel_bins` x `channels`."""

    frames: int
    mel_bins: int
    channels: int

    @property
    def features(self) -> int:
        return self.channels * self.mel_bins

    @staticmethod
    def frames_for(num_frames: int, fps: float) -> int:
        """Latent audio steps covering `num_frames` video frames (diffusers/ltx-core rounding)."""
        return round(num_frames / fps * AUDIO_LATENTS_PER_SECOND)


def pack_video(latents: torch.Tensor) -> torch.Tensor:
    """[B, C, F, H, W] -> [B, F*H*W, C]."""
    return latents.flatten(2).transpose(1, 2)


def unpack_video(tokens: torch.Tensor, frames: int, height: int, width: int) -> torch.Tensor:
    """[B, F*H*W, C] -> [B, C, F, H, W]."""
    b, _, c = tokens.shape
    return tokens.transpose(1, 2).reshape(b, c, frames, height, width)


def pack_audio(latents: torch.Tensor) -> torch.Tensor:
    """[B, C, T, M] -> [B, T, C*M] (channel-major features, as the 2.3 audio patchifier)."""
    return latents.transpose(1, 2).flatten(2)


def unpack_audio(tokens: torch.Tensor, mel_bins: int) -> torch.Tensor:
    """[B, T, C*M] -> [B, C, T, M]."""
    return tokens.unflatten(2, (-1, mel_bins)).transpose(1, 2)


def video_positions(
    frames: int,
    height: int,
    width: int,
    fps: float,
    *,
    frame_offset: float = 0.0,
    spatial_scale: float = 1.0,
    causal_fix: bool = True,
    batch: int = 1,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Pixel-space `[start, end)` bounds per token: [B, 3, F*H*W, 2], time in seconds.

    `frame_offset` (pixel frames) places appended keyframe tokens on the timeline;
    `spatial_scale` stretches a low-resolution IC-LoRA reference over the target grid.
    """
    f = torch.arange(frames, dtype=torch.float32, device=device)
    h = torch.arange(height, dtype=torch.float32, device=device)
    w = torch.arange(width, dtype=torch.float32, device=device)
    grid = torch.stack(torch.meshgrid(f, h, w, indexing="ij"), dim=0).flatten(1)  # [3, N]
    bounds = torch.stack([grid, grid + 1], dim=-1)  # [3, N, 2]
    scale = torch.tensor(VIDEO_SCALE, dtype=torch.float32, device=device).view(3, 1, 1)
    pix = bounds * scale
    if causal_fix:
        # The causal VAE encodes pixel frame 0 alone: shift so latent frame 0 covers [0, 1).
        pix[0] = (pix[0] + 1 - VIDEO_SCALE[0]).clamp(min=0)
    pix[0] = pix[0] + frame_offset
    pix[1:] = pix[1:] * spatial_scale
    pix[0] = pix[0] / fps
    return pix.unsqueeze(0).expand(batch, -1, -1, -1).contiguous()


def audio_positions(frames: int, *, batch: int = 1, device: torch.device | str = "cpu") -> torch.Tensor:
    """Audio `[start, end)` in seconds per latent step: [B, 1, T, 2] (causal offset as upstream)."""
    idx = torch.arange(frames, dtype=torch.float32, device=device)
    # `* hop / rate` in this order, as upstream: RoPE's high frequencies make 1-ulp changes visible.
    start = (idx * AUDIO_DOWNSAMPLE + 1 - AUDIO_DOWNSAMPLE).clamp(min=0) * AUDIO_HOP / AUDIO_SAMPLE_RATE
    end = ((idx + 1) * AUDIO_DOWNSAMPLE + 1 - AUDIO_DOWNSAMPLE).clamp(min=0) * AUDIO_HOP / AUDIO_SAMPLE_RATE
    pos = torch.stack([start, end], dim=-1)
    return pos.view(1, 1, frames, 2).expand(batch, -1, -1, -1).contiguous()


def normalize_video(latents: torch.Tensor, vae: torch.nn.Module) -> torch.Tensor:
    """Raw VAE latents [B, C, F, H, W] -> the normalised space the transformer works in."""
    mean = vae.latents_mean.view(1, -1, 1, 1, 1).to(latents)
    std = vae.latents_std.view(1, -1, 1, 1, 1).to(latents)
    return (latents - mean) * vae.config.scaling_factor / std


def denormalize_video(latents: torch.Tensor, vae: torch.nn.Module) -> torch.Tensor:
    mean = vae.latents_mean.view(1, -1, 1, 1, 1).to(latents)
    std = vae.latents_std.view(1, -1, 1, 1, 1).to(latents)
    return latents * std / vae.config.scaling_factor + mean


def normalize_audio_tokens(tokens: torch.Tensor, audio_vae: torch.nn.Module) -> torch.Tensor:
    """Packed audio tokens [B, T, C*M] normalised with the audio VAE's per-feature stats."""
    return (tokens - audio_vae.latents_mean.to(tokens)) / audio_vae.latents_std.to(tokens)


def denormalize_audio_tokens(tokens: torch.Tensor, audio_vae: torch.nn.Module) -> torch.Tensor:
    return tokens * audio_vae.latents_std.to(tokens) + audio_vae.latents_mean.to(tokens)
