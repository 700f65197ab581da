"""Analytic FLOPs, MFU and cost per job for LTX-2.3, from the job's geometry alone.

Why: a benchmark that reports "41 s" says nothing about headroom. Dividing the model's
FLOPs by (time x the GPU's peak) gives MFU, which says how far the denoiser is from the
hardware limit and makes runs on different GPUs and resolutions comparable. Megapixels
(fal's billing unit) and GPU-hour prices put an on-prem job next to fal's price.

Tokens (patch size 1 on a VAE with 32x32 spatial and 8x temporal compression):
    F' = 1 + (F - 1) // 8 latent frames;   N = F' * (H / 32) * (W / 32) video tokens
    an IC-LoRA reference guide at downscale s adds F' * (H / 32s) * (W / 32s) tokens;
    Na = round(F / fps * 25) audio tokens (25 latent frames per second).

FLOPs of one transformer forward (batch 1, a multiply-add = 2 FLOPs), L = 48 layers,
d = 4096 video width, a = 2048 audio width, c = 2048 A<->V attention width, T = 1024
text tokens, FFN x4:
    video linears     2 * Pv * N,   Pv = L * (4d^2 + 2d^2 + 8d^2 + 4dc) = 12.9 B "active"
                      (self-attn qkvo, text cross-attn q/o, FFN, A<->V projections)
    video self-attn   4 * L * d * N^2             (QK^T and PV)
    video text x-attn 4 * L * d * N * T
    text K/V          2 * L * T * (2 * 4096 * d + 2 * 2048 * a)  (context projections)
    audio linears     2 * Pa * Na,  Pa = L * (4a^2 + 2a^2 + 8a^2 + 4ac)
    audio self-attn   4 * L * a * Na^2
    audio text x-attn 4 * L * a * Na * T
    A<->V x-attn      8 * L * c * N * Na          (audio-to-video and video-to-audio)
The first three are the "video terms" of the research note (docs/operations.md): for
768x512x121 they give 193 TFLOP. Norms, modulation, RoPE and softmax are left out (< 1 %).
Passing `active_params=22e9` charges every parameter to every video token: the note's
upper estimate.

Per job: sum over stages of steps x passes-per-step x forward FLOPs. Passes are the
guidance evaluations per step (1 for distilled CFG 1; 2 with CFG; ~4 for the dev recipe
with CFG + STG + modality guidance).

Only the DiT is counted: Gemma, VAE encode/decode, upsampler and vocoder are small next to
it in FLOPs but not in time, which is why `bench` reports per-stage times beside MFU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Architecture:
    """LTX-2.3 22B transformer dimensions (ltx-core defaults = the 2.3 checkpoint config)."""

    layers: int = 48
    video_dim: int = 4096
    audio_dim: int = 2048
    av_dim: int = 2048  # A<->V cross-attention inner width (32 heads x 64)
    ffn_mult: int = 4
    video_context_dim: int = 4096
    audio_context_dim: int = 2048
    text_tokens: int = 1024  # Gemma max_length; the connector pads to it
    vae_spatial: int = 32
    vae_temporal: int = 8
    audio_tokens_per_second: float = 25.0

    def _per_layer(self, width: int) -> int:
        attn = 4 * width * width  # q, k, v, o
        text = 2 * width * width  # text cross-attn q, o (k, v act on text tokens)
        ffn = 2 * self.ffn_mult * width * width
        av = 4 * width * self.av_dim  # A<->V projections that act on this stream's tokens
        return attn + text + ffn + av

    @property
    def video_active_params(self) -> int:
        """Linear weights each video token passes through: 12.9 B for LTX-2.3."""
        return self.layers * self._per_layer(self.video_dim)

    @property
    def audio_active_params(self) -> int:
        return self.layers * self._per_layer(self.audio_dim)


LTX_23 = Architecture()


@dataclass(frozen=True)
class Geometry:
    """What one denoising stage sees: output pixels, frames, fps, extra guide tokens."""

    width: int
    height: int
    num_frames: int
    fps: float = 24.0
    # IC-LoRA reference guide downscale (Union control "ref0.5" = 2); None: no guide.
    guide_downscale: int | None = None
    # Other appended conditioning tokens (keyframes), counted as video tokens.
    extra_video_tokens: int = 0
    audio: bool = True


def latent_frames(num_frames: int, arch: Architecture = LTX_23) -> int:
    """F' = 1 + (F - 1) // 8: the VAE keeps the first frame and packs 8 frames per latent."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    return 1 + (num_frames - 1) // arch.vae_temporal


def _grid(pixels: int, what: str, arch: Architecture) -> int:
    if pixels % arch.vae_spatial:
        raise ValueError(f"{what} {pixels} is not a multiple of {arch.vae_spatial} (the VAE's compression)")
    return pixels // arch.vae_spatial


def video_tokens(geom: Geometry, arch: Architecture = LTX_23) -> int:
    """Tokens the DiT attends over: the video latent plus any guide/conditioning tokens."""
    frames = latent_frames(geom.num_frames, arch)
    n = frames * _grid(geom.height, "height", arch) * _grid(geom.width, "width", arch)
    if geom.guide_downscale:
        s = geom.guide_downscale
        gh = _grid(geom.height // s, "guide height", arch)
        gw = _grid(geom.width // s, "guide width", arch)
        n += frames * gh * gw
    return n + geom.extra_video_tokens


def audio_tokens(geom: Geometry, arch: Architecture = LTX_23) -> int:
    if not geom.audio:
        return 0
    return round(geom.num_frames / geom.fps * arch.audio_tokens_per_second)


@dataclass(frozen=True)
class ForwardFlops:
    """FLOPs of one transformer forward, by term (see the module docstring)."""

    video_tokens: int
    audio_tokens: int
    video_linear: float
    video_self_attn: float
    video_text_attn: float
    text_kv: float
    audio_linear: float
    audio_self_attn: float
    audio_text_attn: float
    av_cross_attn: float

    @property
    def video_terms(self) -> float:
        """2PN + 4LdN^2 + 4LdNT: the formula of the research note."""
        return self.video_linear + self.video_self_attn + self.video_text_attn

    @property
    def total(self) -> float:
        return (
            self.video_terms
            + self.text_kv
            + self.audio_linear
            + self.audio_self_attn
            + self.audio_text_attn
            + self.av_cross_attn
        )


def arch_from_config(config: Mapping[str, Any]) -> Architecture:
    """The dimensions of a loaded diffusers LTX2 transformer (its `config`), e.g. the tiny preset.

    Why: the FLOP counter charges what really ran; the 22B checkpoint's config gives `LTX_23`.
    The A<->V attention runs at the audio width; text contexts enter at the cross-attention dims.
    """
    audio_dim = int(config["audio_num_attention_heads"]) * int(config["audio_attention_head_dim"])
    return Architecture(
        layers=int(config["num_layers"]),
        video_dim=int(config["num_attention_heads"]) * int(config["attention_head_dim"]),
        audio_dim=audio_dim,
        av_dim=audio_dim,
        video_context_dim=int(config["cross_attention_dim"]),
        audio_context_dim=int(config["audio_cross_attention_dim"]),
    )


def forward_flops(
    geom: Geometry, arch: Architecture = LTX_23, active_params: float | None = None
) -> ForwardFlops:
    """FLOPs of one DiT forward at this geometry; `active_params` overrides Pv (e.g. 22e9)."""
    return token_flops(video_tokens(geom, arch), audio_tokens(geom, arch), arch, active_params)


def token_flops(
    n: int, na: int, arch: Architecture = LTX_23, active_params: float | None = None
) -> ForwardFlops:
    """FLOPs of one batch-1 DiT forward over `n` video and `na` audio tokens (text: `arch.text_tokens`)."""
    big_l, d, a, c, t = arch.layers, arch.video_dim, arch.audio_dim, arch.av_dim, arch.text_tokens
    pv = arch.video_active_params if active_params is None else active_params
    text_kv = 2 * big_l * t * (2 * arch.video_context_dim * d + (2 * arch.audio_context_dim * a if na else 0))
    return ForwardFlops(
        video_tokens=n,
        audio_tokens=na,
        video_linear=2.0 * pv * n,
        video_self_attn=4.0 * big_l * d * n * n,
        video_text_attn=4.0 * big_l * d * n * t,
        text_kv=float(text_kv),
        audio_linear=2.0 * arch.audio_active_params * na,
        audio_self_attn=4.0 * big_l * a * na * na,
        audio_text_attn=4.0 * big_l * a * na * t,
        av_cross_attn=8.0 * big_l * c * n * na,
    )


@dataclass(frozen=True)
class StageSpec:
    """One denoising stage: its geometry, step count and model passes per step."""

    name: str
    geometry: Geometry
    steps: int
    passes_per_step: int = 1

    def flops(self, arch: Architecture = LTX_23, active_params: float | None = None) -> float:
        return self.steps * self.passes_per_step * forward_flops(self.geometry, arch, active_params).total


def job_flops(
    stages: list[StageSpec], arch: Architecture = LTX_23, active_params: float | None = None
) -> float:
    """DiT FLOPs of a whole job: sum over stages of steps x passes x forward FLOPs."""
    return sum(s.flops(arch, active_params) for s in stages)


# --- hardware ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuPeak:
    name: str
    bf16_dense_tflops: float
    source: str


# Dense (no 2:4 sparsity) BF16 tensor-core peaks; NVIDIA datasheets print the sparse
# figure with an asterisk, which is twice these.
GPU_PEAKS: dict[str, GpuPeak] = {
    p.name: p
    for p in (
        GpuPeak("H100 SXM", 989.4, "NVIDIA H100 datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity"),
        GpuPeak("H100 PCIe", 756.0, "NVIDIA H100 datasheet: BF16 Tensor Core 1,513 TFLOPS with sparsity"),
        GpuPeak("H100 NVL", 835.5, "NVIDIA H100 datasheet: BF16 Tensor Core 1,671 TFLOPS with sparsity"),
        GpuPeak("H200 SXM", 989.4, "NVIDIA H200 datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity"),
        GpuPeak("H200 NVL", 835.5, "NVIDIA H200 datasheet: BF16 Tensor Core 1,671 TFLOPS with sparsity"),
        GpuPeak("A100", 312.0, "NVIDIA A100 datasheet: BF16 Tensor Core 312 TFLOPS (624 with sparsity)"),
        GpuPeak("L40S", 362.05, "NVIDIA L40S datasheet: BF16 Tensor Core 362.05 TFLOPS (733 with sparsity)"),
        GpuPeak(
            "RTX 4090",
            165.2,
            "NVIDIA Ada GPU architecture whitepaper: peak BF16 tensor with FP32 accumulate 165.2 TFLOPS",
        ),
    )
}


def lookup_peak(device_name: str) -> GpuPeak | None:
    """Match a `torch.cuda.get_device_name()` string ("NVIDIA H100 80GB HBM3") to a peak."""
    name = device_name.upper()
    for chip in ("H100", "H200"):
        if chip in name:
            if "NVL" in name:
                return GPU_PEAKS[f"{chip} NVL"]
            if "PCIE" in name and chip == "H100":
                return GPU_PEAKS["H100 PCIe"]
            return GPU_PEAKS[f"{chip} SXM"]
    for key, token in (("A100", "A100"), ("L40S", "L40S"), ("RTX 4090", "4090")):
        if token in name:
            return GPU_PEAKS[key]
    return None


def mfu(flops: float, seconds: float, peak_tflops: float) -> float:
    """Model FLOPs utilisation: achieved FLOP/s over the GPU's dense peak."""
    if seconds <= 0 or peak_tflops <= 0:
        raise ValueError("seconds and peak_tflops must be positive")
    return flops / (seconds * peak_tflops * 1e12)


# --- megapixels and cost -----------------------------------------------------------------


def megapixels(width: int, height: int, num_frames: int) -> float:
    """fal's billing unit: width x height x frames / 1e6."""
    return width * height * num_frames / 1e6


@dataclass(frozen=True)
class FalPrice:
    endpoint: str
    usd_per_megapixel: float
    published: bool
    source: str


FAL_PRICES: dict[str, FalPrice] = {
    p.endpoint: p
    for p in (
        FalPrice(
            "fal-ai/ltx-2.3-quality/reference-video-to-video", 0.0024075, True, "fal model page (seed 001)"
        ),
        FalPrice(
            "fal-ai/ltx-2.3-quality/reference-video-to-video/lora",
            0.0024075,
            False,
            "assumed equal to the quality reference-video-to-video price; its page shows none",
        ),
        FalPrice(
            "fal-ai/ltx-2.3-quality/audio-to-video",
            0.0024075,
            False,
            "assumed equal to the quality reference-video-to-video price; its page shows none",
        ),
        FalPrice("fal-ai/ltx-2.3-22b/video-to-video", 0.001605, True, "fal model page (seed 003)"),
    )
}


def fal_billed_megapixels(width: int, height: int, num_frames: int) -> int:
    """fal's pages: "per megapixel ... (width x height x frames), rounded up" (112 MP for 1280x720x121)."""
    return math.ceil(megapixels(width, height, num_frames) - 1e-9)


def fal_cost(endpoint: str, width: int, height: int, num_frames: int) -> float:
    """What fal would charge, in USD, before any display rounding.

    fal's own examples are rounded inconsistently for display: 112 MP x $0.0024075 =
    $0.26964 is shown as "$0.270", 112 MP x $0.001605 = $0.17976 as "$0.179".
    """
    try:
        price = FAL_PRICES[endpoint]
    except KeyError:
        raise ValueError(f"no fal price known for {endpoint!r}; known: {', '.join(FAL_PRICES)}") from None
    return fal_billed_megapixels(width, height, num_frames) * price.usd_per_megapixel


def gpu_cost(seconds: float, usd_per_hour: float) -> float:
    """On-prem cost of one job: wall time x the GPU's hourly price (one job at a time)."""
    return seconds / 3600.0 * usd_per_hour


def summary(stages: list[StageSpec], arch: Architecture = LTX_23) -> dict[str, Any]:
    """Per-stage tokens and TFLOP, for logs and the bench JSON line."""
    return {
        s.name: {
            "video_tokens": video_tokens(s.geometry, arch),
            "audio_tokens": audio_tokens(s.geometry, arch),
            "steps": s.steps,
            "passes_per_step": s.passes_per_step,
            "tflop": s.flops(arch) / 1e12,
        }
        for s in stages
    }
