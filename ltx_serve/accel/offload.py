"""Text-encoder offload and VAE tiling switches.

Gemma 3 12B is 24 GB in bf16 but only runs for prompt encoding (well under a second per job);
on an 80 GB card it must leave the GPU while the 44 GB transformer samples. Weights never
change at inference, so `TextEncoderOffloader` keeps ONE copy in host memory for good
(page-locked when CUDA is present, so host->device copies are asynchronous DMA) and:

- `offload()` just re-points every parameter and buffer at that host copy and drops the GPU
  tensors: no device->host copy, so it costs nothing but freeing memory;
- `onload()` copies the host copy to the GPU (non-blocking; the stream orders it before the
  encoder's kernels).

Build it after any dtype change (fp8 storage of Gemma; `memory_plan.apply_plan` does), so the
host copy holds the stored dtype. Pinned memory costs host RAM equal to the model size
(24 GB for Gemma bf16); the docs recommend 64 GB+ of RAM.

VAE tiling: `apply_vae_tiling(vae, VaeTiling(...))` switches diffusers' spatial/temporal tiled
decode on with explicit tile sizes (or off). Tiles are in *pixels*: min size above which a
dimension is tiled, and the stride between tile starts (overlap = size - stride, blended).

Unverified without a GPU: the copy times (expect ~1 s per 24 GB at PCIe 4 x16 pinned speed),
that pinned allocation of 24 GB succeeds on the target host, and the decode peak per tile size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

logger = logging.getLogger(__name__)


class TextEncoderOffloader:
    """Moves a module between `device` and a persistent host copy of its weights.

    Starts offloaded (weights on the host copy) unless the module already sits on `device`.
    With `device="cpu"` (tests, CPU-only runs) `onload()` still makes a fresh copy, so the
    bookkeeping is exercised exactly as on a GPU.
    """

    def __init__(
        self, module: torch.nn.Module, device: torch.device | str, *, pin_memory: bool | None = None
    ) -> None:
        self.module = module
        self.device = torch.device(device)
        self.pin = torch.cuda.is_available() if pin_memory is None else pin_memory
        self._params: dict[str, torch.nn.Parameter] = dict(module.named_parameters())  # tied weights once
        self._host: dict[str, torch.Tensor] = {}
        for name, tensor in self._named_tensors().items():
            host = tensor.detach().to("cpu")
            self._host[name] = host.pin_memory() if self.pin and not host.is_pinned() else host
        first = next(iter(self._params.values()), None)
        self.on_device = (
            first is not None and first.device.type != "cpu" and same_device(first.device, self.device)
        )
        if not self.on_device:
            self._assign(self._host)

    def _named_tensors(self) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {n: p.data for n, p in self._params.items()}
        for name, buf in self.module.named_buffers():
            out[f"buffer:{name}"] = buf
        return out

    def _assign(self, tensors: dict[str, torch.Tensor]) -> None:
        for name, target in tensors.items():
            if name.startswith("buffer:"):
                owner_path, _, attr = name[len("buffer:") :].rpartition(".")
                owner = self.module.get_submodule(owner_path) if owner_path else self.module
                owner._buffers[attr] = target
            else:
                self._params[name].data = target

    def onload(self) -> None:
        """Weights onto `device` (async from pinned memory; stream-ordered before use)."""
        if self.on_device:
            return
        t0 = time.perf_counter()
        self._assign({n: h.to(self.device, non_blocking=self.pin, copy=True) for n, h in self._host.items()})
        self.on_device = True
        logger.debug("text encoder onloaded to %s in %.3f s", self.device, time.perf_counter() - t0)

    def offload(self) -> None:
        """Weights back to the host copy (no copy: the device tensors are just released)."""
        if not self.on_device:
            return
        self._assign(self._host)
        self.on_device = False
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    @contextmanager
    def onloaded(self) -> Iterator[torch.nn.Module]:
        """`with offloader.onloaded() as gemma:` encode; Gemma leaves the device even on error."""
        self.onload()
        try:
            yield self.module
        finally:
            self.offload()

    def host_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self._host.values())


def same_device(a: torch.device, b: torch.device) -> bool:
    """`cuda` and `cuda:0` are the same device when the current device is 0."""
    if a.type != b.type:
        return False
    if a.type != "cuda" or a.index == b.index:
        return True
    current = torch.cuda.current_device() if torch.cuda.is_available() else 0
    return (a.index if a.index is not None else current) == (b.index if b.index is not None else current)


# --- VAE tiling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VaeTiling:
    """Pixel tile sizes for diffusers' `AutoencoderKLLTX2Video.enable_tiling` (its defaults)."""

    min_height: int = 512
    min_width: int = 512
    stride_height: int = 448
    stride_width: int = 448
    min_frames: int = 16
    stride_frames: int = 8

    def __post_init__(self) -> None:
        for name in ("min_height", "min_width", "stride_height", "stride_width"):
            if getattr(self, name) <= 0 or getattr(self, name) % 32:
                raise ValueError(
                    f"VaeTiling.{name} must be a positive multiple of 32 (the VAE's spatial factor)"
                )
        for name in ("min_frames", "stride_frames"):
            if getattr(self, name) <= 0 or getattr(self, name) % 8:
                raise ValueError(
                    f"VaeTiling.{name} must be a positive multiple of 8 (the VAE's temporal factor)"
                )
        if self.stride_height > self.min_height or self.stride_width > self.min_width:
            raise ValueError("VaeTiling strides must not exceed the tile size (tiles must overlap or touch)")
        if self.stride_frames > self.min_frames:
            raise ValueError("VaeTiling.stride_frames must not exceed min_frames")


# A lower-memory preset for GPUs where the plan is tight (quarter the tile area).
SMALL_TILES = VaeTiling(min_height=256, min_width=256, stride_height=224, stride_width=224)


def apply_vae_tiling(vae: torch.nn.Module, tiling: VaeTiling | None) -> None:
    """Tiled encode/decode with these tile sizes, or untiled (`None`)."""
    if tiling is None:
        vae.disable_tiling()
        logger.info("VAE tiling off")
        return
    vae.enable_tiling(
        tile_sample_min_height=tiling.min_height,
        tile_sample_min_width=tiling.min_width,
        tile_sample_min_num_frames=tiling.min_frames,
        tile_sample_stride_height=tiling.stride_height,
        tile_sample_stride_width=tiling.stride_width,
        tile_sample_stride_num_frames=tiling.stride_frames,
    )
    logger.info("VAE tiling on: %s", tiling)


def tiling_for_plan(plan: object, *, small: bool = False) -> VaeTiling | None:
    """The tiling a `MemoryPlan` asks for: None when `plan.vae_tiling` is off."""
    if not getattr(plan, "vae_tiling", False):
        return None
    return SMALL_TILES if small else VaeTiling()
