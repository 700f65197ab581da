"""Start-up memory plan: what precision and placement the LTX-2.3 models get on this GPU.

`plan_memory(free_bytes, compute_capability, sizes, overrides)` is a pure function (unit
tested with simulated 24/48/80/141 GB GPUs); `detect_plan()` feeds it the real numbers and
`apply_plan()` carries it out on loaded components. Preference order, quality first:

1. bf16 weights, everything resident, no VAE tiling;
2. bf16 + VAE tiling (decode peak drops from ~12 GB to ~3 GB at 768x512x121);
3. bf16 + Gemma kept on the CPU and moved in only to encode prompts ("offload"), or run on
   the CPU when even that does not fit beside the transformer ("cpu");
4. fp8 storage for the transformer and Gemma (`ltx_serve.accel.fp8`: the blocks' attention
   and feed-forward weights in fp8, blocks 0, 1, 46, 47 and norms/embeddings in bf16, compute
   in bf16; an fp8 checkpoint's weights as stored), with the same Gemma/tiling ladder;
5. fp8 + the transformer streamed from host memory by diffusers group offloading (slow).

The activation and decode reserves are estimates for the default 768x512x121 two-stage
request with full guidance; they are constants here so the plan is reproducible, and they
are the first thing to recalibrate on real hardware.

`apply_plan` only decides; the mechanisms are `ltx_serve.accel` (fp8 storage, text-encoder
offload, VAE tile sizes), so each exists once. This module imports torch and accel lazily:
`ltx-serve doctor` imports `describe_for_doctor` and must stay torch-free.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

logger = logging.getLogger(__name__)

GiB = 1 << 30
WeightsDtype = Literal["bfloat16", "float8_e4m3fn"]
TextEncoderPlacement = Literal["gpu", "offload", "cpu"]
TransformerPlacement = Literal["gpu", "group_offload"]

# Parameter counts of the real 2.3 models (tests/models/test_memory_plan.py re-derives the
# LTX ones from the full-size modules built on `meta`). Gemma 3 12B includes its vision tower.
LTX23_PARAMS = {
    "transformer": 18_989_000_000,
    "connectors": 3_172_000_000,
    "vae": 726_000_000,
    "audio_vae": 53_000_000,
    "vocoder": 129_000_000,
    "upsampler": 498_000_000,
    "text_encoder": 12_190_000_000,
}

SAMPLING_RESERVE = 10 * GiB  # transformer activations, latents, a guidance batch of 4, upsampler
DECODE_PEAK_UNTILED = 12 * GiB
DECODE_PEAK_TILED = 3 * GiB
ENCODE_RESERVE = 2 * GiB  # Gemma forward on a 1024-token prompt pair
SAFETY_MARGIN = 0.05  # fraction of free memory left unplanned (allocator fragmentation)
# Share of the transformer's parameters `accel.fp8.enable_fp8_storage` stores in fp8 (blocks
# 2-45's attention/feed-forward Linears; re-derived from the full-size model in the tests).
# Gemma's (everything but embeddings, norms and the vision tower) is not yet measured: 1.0.
FP8_STORED_FRACTION = {"transformer": 0.894}


@dataclass(frozen=True)
class ModelSizes:
    """Parameter counts per component (bytes follow from the chosen dtype)."""

    params: dict[str, int] = field(default_factory=lambda: dict(LTX23_PARAMS))

    def bytes(self, name: str, dtype: WeightsDtype) -> int:
        n = self.params.get(name, 0)
        if dtype != "float8_e4m3fn":
            return 2 * n
        return 2 * n - int(n * FP8_STORED_FRACTION.get(name, 1.0))  # kept parts stay bf16

    def core_bytes(self, transformer_dtype: WeightsDtype) -> int:
        """Everything but Gemma. Only the transformer (the bulk) changes precision."""
        rest = ("connectors", "vae", "audio_vae", "vocoder", "upsampler")
        return self.bytes("transformer", transformer_dtype) + sum(self.bytes(n, "bfloat16") for n in rest)


@dataclass(frozen=True)
class MemoryOverrides:
    """User choices that win over the automatic plan (None: decide automatically)."""

    weights_dtype: WeightsDtype | None = None
    text_encoder: TextEncoderPlacement | None = None
    vae_tiling: bool | None = None
    transformer: TransformerPlacement | None = None


@dataclass(frozen=True)
class MemoryPlan:
    weights_dtype: WeightsDtype
    compute_dtype: str
    text_encoder: TextEncoderPlacement
    transformer: TransformerPlacement
    vae_tiling: bool
    free_bytes: int
    resident_bytes: int  # weights kept on the GPU while sampling
    peak_bytes: int  # estimated peak during a request
    fits: bool
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        tiling = "on" if self.vae_tiling else "off"
        return (
            f"memory plan: weights {self.weights_dtype} (compute {self.compute_dtype}), transformer "
            f"{self.transformer}, Gemma {self.text_encoder}, VAE tiling {tiling}; "
            f"resident {self.resident_bytes / GiB:.1f} GiB, peak ~{self.peak_bytes / GiB:.1f} GiB of "
            f"{self.free_bytes / GiB:.1f} GiB free" + ("" if self.fits else " — DOES NOT FIT")
        )


def _candidates(overrides: MemoryOverrides) -> Iterator[tuple[WeightsDtype, TransformerPlacement, str, bool]]:
    dtypes: tuple[WeightsDtype, ...] = ("bfloat16", "float8_e4m3fn")
    placements: tuple[TransformerPlacement, ...] = ("gpu", "group_offload")
    te: tuple[TextEncoderPlacement, ...] = ("gpu", "offload", "cpu")
    tiling = (False, True)
    for tp in (overrides.transformer,) if overrides.transformer else placements:
        for dt in (overrides.weights_dtype,) if overrides.weights_dtype else dtypes:
            for te_p in (overrides.text_encoder,) if overrides.text_encoder else te:
                for tile in (overrides.vae_tiling,) if overrides.vae_tiling is not None else tiling:
                    yield dt, tp, te_p, tile


def _estimate(
    sizes: ModelSizes, dt: WeightsDtype, tp: TransformerPlacement, te: str, tile: bool
) -> tuple[int, int]:
    """(resident bytes while sampling, peak bytes over a request)."""
    core = sizes.core_bytes(dt)
    if tp == "group_offload":  # only ~2 blocks of the 48 on the GPU at a time
        core -= sizes.bytes("transformer", dt) * 46 // 48
    gemma = sizes.bytes("text_encoder", dt)  # Gemma follows the weights dtype (fp8: layerwise too)
    decode = DECODE_PEAK_TILED if tile else DECODE_PEAK_UNTILED
    resident = core + (gemma if te == "gpu" else 0)
    sampling_peak = resident + SAMPLING_RESERVE
    decode_peak = resident + decode
    encode_peak = core + (gemma + ENCODE_RESERVE if te in ("gpu", "offload") else 0)
    return resident, max(sampling_peak, decode_peak, encode_peak)


def plan_memory(
    free_bytes: int,
    compute_capability: tuple[int, int],
    sizes: ModelSizes | None = None,
    overrides: MemoryOverrides | None = None,
) -> MemoryPlan:
    """The best plan that fits `free_bytes` (or the last resort, marked `fits=False`)."""
    sizes = sizes or ModelSizes()
    overrides = overrides or MemoryOverrides()
    budget = int(free_bytes * (1 - SAFETY_MARGIN))
    notes: list[str] = []
    if compute_capability < (8, 0):
        notes.append(
            f"compute capability {compute_capability} has no bf16: LTX-2.3 needs Ampere (8.0) or newer"
        )
    if compute_capability >= (8, 9):
        notes.append(
            "fp8 checkpoints with scaled-mm kernels are possible on this GPU (not used: layerwise fp8 only)"
        )
    last: MemoryPlan | None = None
    for dt, tp, te, tile in _candidates(overrides):
        resident, peak = _estimate(sizes, dt, tp, te, tile)
        plan = MemoryPlan(
            weights_dtype=dt,
            compute_dtype="bfloat16",
            text_encoder=te,  # type: ignore[arg-type]
            transformer=tp,
            vae_tiling=tile,
            free_bytes=free_bytes,
            resident_bytes=resident,
            peak_bytes=peak,
            fits=peak <= budget and compute_capability >= (8, 0),
            notes=tuple(notes),
        )
        if plan.fits:
            return _annotate(plan)
        last = plan
    assert last is not None
    return replace(last, notes=(*last.notes, "no configuration fits; expect out-of-memory errors"))


def _annotate(plan: MemoryPlan) -> MemoryPlan:
    extra = []
    if plan.weights_dtype == "float8_e4m3fn":
        extra.append("fp8 storage of the transformer and Gemma trades a little quality for memory")
    if plan.text_encoder == "cpu":
        extra.append("Gemma runs on the CPU: prompt encoding takes tens of seconds")
    if plan.transformer == "group_offload":
        extra.append("transformer blocks stream from host memory: several times slower sampling")
    return replace(plan, notes=(*plan.notes, *extra))


# Job overlap (`ltx_serve.jobs.overlap`): what a job claimed ahead may hold beside the running
# one. Host: its decoded inputs and control video (~0.75 GB for 121 frames of 1080p RGB) plus the
# previous job's finished frames, with room to spare. GPU: the depth / pose estimators that
# render its control video run beside the denoise (DA-V2-Small and DWPose at 512 px).
PREFETCH_HOST_RESERVE = 8 * GiB
PREFETCH_GPU_RESERVE = 2 * GiB


def prefetch_allowed(plan: MemoryPlan, host_available: int, on_gpu: bool) -> tuple[bool, str]:
    """May the next job be pre-processed while this plan's job runs? (allowed, why not)."""
    if plan.transformer == "group_offload":
        return False, "the transformer streams from host memory (group offload)"
    if on_gpu:
        headroom = int(plan.free_bytes * (1 - SAFETY_MARGIN)) - plan.peak_bytes
        if headroom < PREFETCH_GPU_RESERVE:
            return False, f"GPU headroom {headroom / GiB:.1f} GiB < {PREFETCH_GPU_RESERVE / GiB:.0f} GiB"
    if host_available < PREFETCH_HOST_RESERVE:
        have, need = host_available / GiB, PREFETCH_HOST_RESERVE / GiB
        return False, f"host memory available {have:.1f} GiB < {need:.0f} GiB"
    return True, ""


def host_available_bytes() -> int:
    """Memory the kernel can give without swapping (`MemAvailable`; free pages elsewhere)."""
    import os

    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def describe_for_doctor(
    total_vram_bytes: int | None, compute_capability: tuple[int, int] | str | None = None
) -> str:
    """`ltx-serve doctor`'s one-line answer: the plan for a GPU of this size (an idle GPU)."""
    if not total_vram_bytes:
        return "no GPU: CPU only (tiny weights / tests)"
    cc: tuple[int, int] = (9, 0)
    if isinstance(compute_capability, str) and "." in compute_capability:
        major, minor = compute_capability.split(".", 1)
        cc = (int(major), int(minor))
    elif isinstance(compute_capability, tuple):
        cc = compute_capability
    plan = plan_memory(int(total_vram_bytes * 0.97), cc)  # the driver and context take a little
    return plan.describe() + "".join(f"; {n}" for n in plan.notes)


def detect_plan(device: Any = "cuda", overrides: MemoryOverrides | None = None) -> MemoryPlan:
    """Plan for the actual device (free memory now) and log it. CPU: everything resident, bf16."""
    import torch

    dev = torch.device(device)
    if dev.type != "cuda" or not torch.cuda.is_available():
        plan = MemoryPlan("bfloat16", "bfloat16", "gpu", "gpu", False, 0, 0, 0, True, ("CPU: no GPU plan",))
    else:
        free, _total = torch.cuda.mem_get_info(dev)
        plan = plan_memory(free, torch.cuda.get_device_capability(dev), overrides=overrides)
    logger.info(plan.describe())
    for note in plan.notes:
        logger.info("memory plan: %s", note)
    return plan


def apply_plan(components: Any, plan: MemoryPlan, device: Any) -> None:
    """Carry out a plan on loaded `LTXComponents` and put every module where the plan says.

    Load on the CPU first when the plan uses fp8 or group offloading (`load_for_plan` does):
    casting or streaming a bf16 transformer that was loaded onto a small GPU would already
    have run out of memory. Under an "offload" plan Gemma gets its `TextEncoderOffloader`
    (`components.text_encoder_offloader`), built after any fp8 cast so its host copy is fp8.
    """
    import torch

    from ltx_serve.accel.fp8 import enable_fp8_storage, enable_fp8_text_encoder
    from ltx_serve.accel.offload import TextEncoderOffloader, apply_vae_tiling, tiling_for_plan

    dev = torch.device(device)
    tr = components.transformer
    fp8 = plan.weights_dtype == "float8_e4m3fn"
    if fp8:
        # plain cast, not per-tensor scaled: fused LoRAs write straight into the stored weights
        enable_fp8_storage(tr, compute_dtype=torch.bfloat16)
    if plan.transformer == "group_offload":
        tr.enable_group_offload(
            onload_device=dev,
            offload_device=torch.device("cpu"),
            offload_type="block_level",
            num_blocks_per_group=1,
        )
    else:
        tr.to(dev)
    for name in ("connectors", "vae", "audio_vae", "vocoder", "upsampler"):
        module = getattr(components, name, None)
        if module is not None:
            module.to(dev)
    apply_vae_tiling(components.vae, tiling_for_plan(plan))
    te = components.text_encoder
    components.text_encoder_offloader = None
    if te is not None:
        if fp8:
            enable_fp8_text_encoder(te, compute_dtype=torch.bfloat16)
        if plan.text_encoder == "offload":
            te.to(torch.device("cpu"))
            components.text_encoder_offloader = TextEncoderOffloader(te, dev)
        else:
            te.to(dev if plan.text_encoder == "gpu" else torch.device("cpu"))
    components.device = dev


@contextmanager
def text_encoder_ready(components: Any, plan: MemoryPlan, device: Any) -> Iterator[Any]:
    """`with text_encoder_ready(c, plan, dev) as gemma:` — Gemma on the device that encodes.

    For the "offload" plan this is `TextEncoderOffloader.onloaded()`: Gemma is copied to the
    GPU from its pinned host copy for the block and released after (also on error), so the
    transformer has the memory while sampling. Other plans: Gemma stays where it is.
    """
    te = components.text_encoder
    if plan.text_encoder != "offload" or te is None:
        yield te
        return
    with _offloader(components, device).onloaded() as module:
        yield module


def _offloader(components: Any, device: Any) -> Any:
    """The components' offloader for `device`, built once if `apply_plan` did not build it."""
    import torch

    from ltx_serve.accel.offload import TextEncoderOffloader, same_device

    dev = torch.device(device)
    off = getattr(components, "text_encoder_offloader", None)
    if off is None or off.module is not components.text_encoder or not same_device(off.device, dev):
        off = TextEncoderOffloader(components.text_encoder, dev)
        components.text_encoder_offloader = off
    return off
