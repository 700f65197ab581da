"""Pixel conditioning items -> latent items at a given stage geometry (VAE encode).

Images are H.264 re-encoded at their CRF first (upstream mimics training compression; the
round trip is `ltx_serve.media.image.h264_roundtrip`), then cover-resized + centre-cropped
(bilinear), scaled to [-1, 1] and encoded with the video VAE (distribution mode) and
normalised with its per-channel statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ltx_serve.pipelines.conditioning import (
    ImageCondition,
    InitialVideo,
    InputAudio,
    InputVideo,
    LatentAudio,
    LatentFrames,
    LatentItem,
    LatentKeyframe,
    LatentReference,
    LatentStart,
    PixelItem,
    ReferenceVideo,
)
from ltx_serve.pipelines.latents import normalize_video


def cover_resize(frames: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """uint8/float [F, H, W, 3] -> float [F, 3, height, width] in [-1, 1] (scale to cover, centre crop)."""
    x = frames.float().permute(0, 3, 1, 2)
    src_h, src_w = x.shape[-2:]
    if (src_h, src_w) != (height, width):
        scale = max(height / src_h, width / src_w)
        new_h, new_w = math.ceil(src_h * scale), math.ceil(src_w * scale)
        x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)
        top, left = (new_h - height) // 2, (new_w - width) // 2
        x = x[:, :, top : top + height, left : left + width]
    return x / 127.5 - 1.0


@torch.no_grad()
def vae_encode(vae: torch.nn.Module, pixels: torch.Tensor) -> torch.Tensor:
    """[F, 3, H, W] in [-1, 1] -> normalised latents [1, C, F', H/32, W/32] (F cropped to 8k+1)."""
    f = (pixels.shape[0] - 1) // 8 * 8 + 1
    video = pixels[:f].permute(1, 0, 2, 3).unsqueeze(0)
    p = next(vae.parameters())
    latent = vae.encode(video.to(p.device, p.dtype)).latent_dist.mode()
    return normalize_video(latent.float(), vae)


def encode_image(vae: torch.nn.Module, item: ImageCondition, height: int, width: int) -> torch.Tensor:
    from ltx_serve.media.image import h264_roundtrip

    img = item.image
    if item.crf > 0:
        arr = img.cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
        img = torch.from_numpy(h264_roundtrip(arr.astype(np.uint8), item.crf))
    return vae_encode(vae, cover_resize(torch.as_tensor(img)[None], height, width))


def encode_conditions(
    items: Sequence[PixelItem | LatentItem],
    vae: torch.nn.Module,
    *,
    height: int,
    width: int,
    num_frames: int,
    fps: float = 24.0,
    audio_vae: torch.nn.Module | None = None,
    refine: bool = False,
) -> list[LatentItem]:
    """Encode pixel items for a stage of size height x width; latent items pass through.

    `refine` (stage 2): a soft input video/audio (strength < 1) keeps the upsampled stage-1
    latents as the start instead of overwriting them with the input (`keep_start`); hard
    conditions (strength 1) and images are re-applied as upstream re-applies images.
    """
    out: list[LatentItem] = []
    for item in items:
        if isinstance(item, ImageCondition):
            lat = encode_image(vae, item, height, width)
            if item.frame_index == 0:
                out.append(LatentFrames(lat, strength=item.strength, latent_index=0))
            else:
                out.append(LatentKeyframe(lat, frame_index=item.frame_index, strength=item.strength))
        elif isinstance(item, ReferenceVideo):
            f = item.downscale_factor
            if height % f or width % f:
                raise ValueError(f"size {width}x{height} is not divisible by the reference factor {f}")
            px = cover_resize(item.frames[:num_frames], height // f, width // f)
            out.append(
                LatentReference(
                    vae_encode(vae, px),
                    downscale_factor=f,
                    strength=item.strength,
                    attention_strength=item.attention_strength,
                )
            )
        elif isinstance(item, InputVideo):
            px = cover_resize(item.frames[:num_frames], height, width)
            soft = refine and item.strength < 1.0
            out.append(LatentFrames(vae_encode(vae, px), strength=item.strength, keep_start=soft))
        elif isinstance(item, InputAudio):
            from ltx_serve.pipelines.audio import encode_audio

            if audio_vae is None:
                raise ValueError("an audio condition needs the audio VAE")
            tokens = encode_audio(audio_vae, item.waveform, num_frames, fps)
            out.append(LatentAudio(tokens, strength=item.strength, keep_start=refine and item.strength < 1.0))
        elif isinstance(item, InitialVideo):
            px = cover_resize(item.frames[:num_frames], height, width)
            out.append(LatentStart(vae_encode(vae, px), denoise_strength=item.denoise_strength))
        else:
            out.append(item)
    return out
