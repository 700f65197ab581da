"""Regional torch.compile of the LTX-2.3 transformer, and start-up warm-up.

Why regional: the 48 `LTX2VideoTransformerBlock`s are identical code, so compiling the block
(diffusers' `compile_repeated_blocks`, driven by the class's `_repeated_blocks`) compiles one
graph that all 48 reuse (torch >= 2.5 inlines nn.Module parameters as graph inputs, so
there is no per-instance recompile), in a fraction of a whole-model compile's time. The
embedding/RoPE/output code around the blocks stays eager (a few % of the time).

Why automatic dynamic shapes (`dynamic=None`, the default here): each endpoint preset has its
own token count (768x512x121 -> 6,144 video tokens, 1280x704x121 -> 14,080, plus IC-LoRA guide
tokens) and guidance batch (1-4 passes). torch.compile first specialises on the shapes it sees
and, at the first change, recompiles once with exactly the changed dimensions (the sequence
lengths, the batch) symbolic; later shapes reuse that graph. `warmup()` therefore runs at least
two different token counts. `dynamic=True` would make *every* dimension symbolic (hidden sizes
too); on the CPU it took ~4x longer to compile the same block. Shapes that still change the
graph: whether a self-attention mask is passed, whether STG perturbs a block, the attention
backend of each processor.

`fullgraph=True` works for the plain path; STG passes make `LTX2PerturbedAttnProcessor` branch
on a tensor (`if all_perturbed:`), which is a graph break: with `fullgraph=True` that is an
error, so `compile_transformer(..., fullgraph=None)` picks `fullgraph=False` when the caller
says STG will be used (the dev recipe) and True otherwise.

`warmup(transformer, shapes)` runs one forward per `WarmupShape` at start-up so the first
request does not pay the compile (tens of seconds cold on a GPU; much less with a warm
inductor cache: keep `TORCHINDUCTOR_CACHE_DIR` on a persistent volume, e.g. /cache).

Unverified without a GPU: the speed-up (SGLang quotes 1.2-1.5x on denoise), compile time at
full size, inductor/Triton on the target CUDA, recompiles with fp8 layerwise-casting hooks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass

import torch

from ltx_serve.accel.attention import AttentionChoice, self_attention_mask_scope

logger = logging.getLogger(__name__)

VAE_TIME = 8  # video VAE temporal compression
VAE_SPACE = 32  # video VAE spatial compression
AUDIO_LATENTS_PER_SECOND = 25  # 16 kHz, hop 160, 4x time compression


@dataclass(frozen=True)
class WarmupShape:
    """One transformer call shape a preset will use, in pixels (as requests are)."""

    width: int
    height: int
    num_frames: int
    fps: float = 24.0
    batch: int = 1  # guidance passes in one call: 1 (distilled), 2 (CFG), up to 4 (dev recipe)
    text_tokens: int = 1024
    guide_tokens: int = 0  # extra IC-LoRA reference tokens appended to the video sequence
    self_attention_mask: bool = False  # IC-LoRA attention strength < 1
    stg_blocks: tuple[int, ...] = ()  # blocks perturbed in the STG pass

    @property
    def latent_frames(self) -> int:
        return 1 + (self.num_frames - 1) // VAE_TIME

    @property
    def latent_grid(self) -> tuple[int, int, int]:
        return self.latent_frames, self.height // VAE_SPACE, self.width // VAE_SPACE

    @property
    def video_tokens(self) -> int:
        f, h, w = self.latent_grid
        return f * h * w + self.guide_tokens

    @property
    def audio_tokens(self) -> int:
        return max(1, round(self.num_frames / self.fps * AUDIO_LATENTS_PER_SECOND))


def compile_transformer(
    transformer: torch.nn.Module,
    *,
    uses_stg: bool = False,
    fullgraph: bool | None = None,
    dynamic: bool | None = None,
    backend: str = "inductor",
    mode: str | None = None,
) -> dict[str, object]:
    """Compile the repeated blocks in place; returns the options used (for the start-up log).

    Call after the attention backend, fp8 casting and LoRA mode are set: each is part of what
    the graph captures. `mode="max-autotune-no-cudagraphs"` is a GPU option worth measuring;
    CUDA graphs ("reduce-overhead") are not used: shapes vary per request.
    """
    if fullgraph is None:
        fullgraph = not uses_stg
    options: dict[str, object] = {"fullgraph": fullgraph, "dynamic": dynamic, "backend": backend}
    if mode is not None:
        options["mode"] = mode
    t0 = time.perf_counter()
    transformer.compile_repeated_blocks(**options)
    logger.info(
        "torch.compile of the transformer blocks armed (%s) in %.2f s", options, time.perf_counter() - t0
    )
    return options


def _warmup_inputs(
    transformer: torch.nn.Module, shape: WarmupShape, device: torch.device, dtype: torch.dtype
) -> dict:
    cfg = transformer.config
    b, f, h, w = shape.batch, *shape.latent_grid
    n = shape.video_tokens
    guide = shape.guide_tokens
    g = torch.Generator(device="cpu").manual_seed(0)

    def rand(*size: int) -> torch.Tensor:
        return torch.randn(*size, generator=g).to(device=device, dtype=dtype)

    video_coords = transformer.rope.prepare_video_coords(b, f, h, w, device, fps=shape.fps)
    if guide:
        video_coords = torch.cat([video_coords, video_coords[:, :, :guide]], dim=2)
    t = torch.full((b,), 500.0, device=device)
    kwargs: dict = {
        "hidden_states": rand(b, n, cfg.in_channels),
        "audio_hidden_states": rand(b, shape.audio_tokens, cfg.audio_in_channels),
        "encoder_hidden_states": rand(b, shape.text_tokens, cfg.cross_attention_dim),
        "audio_encoder_hidden_states": rand(b, shape.text_tokens, cfg.audio_cross_attention_dim),
        "timestep": t,
        "audio_timestep": t,
        "sigma": t,
        "audio_sigma": t,
        "encoder_attention_mask": torch.ones(b, shape.text_tokens, device=device),
        "audio_encoder_attention_mask": torch.ones(b, shape.text_tokens, device=device),
        "video_coords": video_coords,
        "audio_num_frames": shape.audio_tokens,
        "fps": shape.fps,
        "use_cross_timestep": True,
        "return_dict": False,
    }
    if shape.self_attention_mask:
        kwargs["video_self_attention_mask"] = torch.ones(b, n, n, device=device)
    if shape.stg_blocks:
        kwargs["spatio_temporal_guidance_blocks"] = list(shape.stg_blocks)
        kwargs["perturbation_mask"] = torch.tensor([1.0] * (b - 1) + [0.0], device=device, dtype=dtype)
    return kwargs


@torch.no_grad()
def warmup(
    transformer: torch.nn.Module, shapes: Iterable[WarmupShape], choice: AttentionChoice | None = None
) -> list[float]:
    """One forward per shape (compiles on first sight); returns the seconds each took.

    Give at least two different token counts so the sequence dimension becomes symbolic
    during warm-up rather than on the first real request with a new size. Pass the engine's
    attention `choice` so masked shapes run under `self_attention_mask_scope`, exactly as
    masked requests will (the backend switch is part of what gets compiled).
    """
    shapes = list(shapes)
    if len({s.video_tokens for s in shapes}) < 2:
        logger.warning("warm-up with a single token count: the first other size will recompile")
    param = next(transformer.parameters())
    device = param.device
    dtype = getattr(transformer, "dtype", param.dtype)
    if dtype not in (torch.float32, torch.float16, torch.bfloat16):
        dtype = torch.bfloat16  # fp8 storage: the compute dtype
    timings: list[float] = []
    for shape in shapes:
        masked = shape.self_attention_mask and choice is not None
        scope = self_attention_mask_scope(transformer, choice) if masked else nullcontext()  # type: ignore[arg-type]
        t0 = time.perf_counter()
        with scope:
            transformer(**_warmup_inputs(transformer, shape, device, dtype))
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        timings.append(time.perf_counter() - t0)
        logger.info("warm-up %s: %.2f s", shape, timings[-1])
    return timings
