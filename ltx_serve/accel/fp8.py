"""fp8 weights for the LTX-2.3 transformer: storage-only casting, and fp8 checkpoint detection.

(a) `enable_fp8_storage` keeps the big Linear weights in `float8_e4m3fn` and upcasts each one
to the compute dtype (bf16) just for its own forward (diffusers' layerwise-casting hooks, or
with `scaled=True` our per-tensor-scaled variant of the same idea). That
halves the transformer's weight memory (44 -> ~23 GB at full size) on any GPU, but saves no
compute: matmuls still run in bf16. It mirrors Lightricks' `fp8-cast`: only the attention
q/k/v/out projections and the feed-forward Linears of the transformer blocks are stored in
fp8; norms, gate logits, timestep/AdaLN embeddings, patchify in/out, the modulation tables
(plain Parameters) and whole blocks listed in `keep_blocks` stay in the compute dtype. The
default keeps blocks 0, 1, 46 and 47 (negative indices count from the end), as the official
FP8 checkpoint does: the first and last blocks are the most precision-sensitive.

(b) `inspect_fp8_checkpoint` reads only a .safetensors header and reports whether the file is
already fp8 (F8_E4M3 / F8_E5M2 tensors, with or without `*.weight_scale` / `*.input_scale`
tensors). The memory plan uses `fp8_source()` to choose between "fp8 checkpoint" (load the
fp8 file: half the disk read; its fp8 weights and scales are kept as stored) and "fp8 cast"
(load bf16, cast at start-up). `enable_fp8_text_encoder` gives Gemma the same storage.

Numerics: e4m3 has 3 mantissa bits, so each weight is rounded with up to 6.25 % relative error
(about 2-3 % on average) and, without a scale, weights below 2**-6 fall into subnormals with
fewer significant bits: at std 0.02 (the real model) that is about half of them. Unverified at full size
without a GPU: the effect on video quality, and any speed change (there is none to expect
from storage-only casting; the cast adds a little time per Linear).
"""

from __future__ import annotations

import json
import logging
import re
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

logger = logging.getLogger(__name__)

OFFICIAL_KEEP_BLOCKS: tuple[int, ...] = (0, 1, -2, -1)  # blocks 0-1 and 46-47 of 48
# Inside a cast block, the Linears that keep the compute dtype: per-head gates (tiny) and any
# norm; PEFT adapter weights (tiny, and PEFT would cast the inputs to fp8 otherwise).
IN_BLOCK_SKIP: tuple[str, ...] = ("norm", "to_gate_logits", "lora_", "lokr_", "hada_")
FP8_DTYPES = ("F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ")
FP8_TORCH_DTYPES = (torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e4m3fnuz, torch.float8_e5m2fnuz)
SCALE_SUFFIXES = (".weight_scale", ".input_scale", ".scale_weight", ".scale_input")

Fp8Source = Literal["none", "fp8_checkpoint", "fp8_cast"]


@dataclass(frozen=True)
class Fp8CastReport:
    """What `enable_fp8_storage` did (for the start-up log and the memory plan's check)."""

    cast_modules: tuple[str, ...]
    kept_blocks: tuple[int, ...]
    bytes_before: int
    bytes_after: int
    scaled: bool = False
    # Linears that already held fp8 (an fp8 checkpoint's weights, or an earlier call): left as stored.
    already_fp8: tuple[str, ...] = ()

    @property
    def saved_bytes(self) -> int:
        return self.bytes_before - self.bytes_after


def resolve_blocks(indices: tuple[int, ...], num_blocks: int) -> tuple[int, ...]:
    """Negative indices count from the end; out-of-range ones are dropped (sorted, unique)."""
    out = {i + num_blocks if i < 0 else i for i in indices}
    return tuple(sorted(i for i in out if 0 <= i < num_blocks))


def _param_bytes(module: torch.nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in module.parameters())


def _store_linears_fp8(
    root: torch.nn.Module,
    prefix: str,
    skip: tuple[str, ...],
    *,
    storage_dtype: torch.dtype,
    compute_dtype: torch.dtype,
    non_blocking: bool,
    scaled: bool,
) -> tuple[list[str], list[str]]:
    """The one fp8 storage mechanism, for the transformer's blocks and for Gemma alike.

    Every `nn.Linear` under `root` whose name contains none of `skip` gets fp8 storage: a
    per-tensor scale (`attach_scaled_fp8`) or diffusers' layerwise-casting hook (plain cast,
    weight and bias). Linears already stored in fp8 are left alone, so an fp8 checkpoint's
    weights are never rounded a second time and a repeated call is a no-op.
    Returns (names cast now, names found already in fp8).
    """
    from diffusers.hooks.layerwise_casting import apply_layerwise_casting_hook

    cast: list[str] = []
    already: list[str] = []
    for name, module in root.named_modules():
        if not isinstance(module, torch.nn.Linear) or any(p in name for p in skip):
            continue
        if module.weight.dtype in FP8_TORCH_DTYPES:
            already.append(prefix + name)
            continue
        if scaled:
            w8, scale = quantize_per_tensor(module.weight)
            attach_scaled_fp8(module, w8, scale, compute_dtype)
        else:
            apply_layerwise_casting_hook(module, storage_dtype, compute_dtype, non_blocking)
        cast.append(prefix + name)
    return cast, already


def enable_fp8_storage(
    transformer: torch.nn.Module,
    *,
    keep_blocks: tuple[int, ...] = OFFICIAL_KEEP_BLOCKS,
    storage_dtype: torch.dtype = torch.float8_e4m3fn,
    compute_dtype: torch.dtype = torch.bfloat16,
    non_blocking: bool = False,
    scaled: bool = False,
) -> Fp8CastReport:
    """Store the blocks' attention and feed-forward Linears in fp8, computing in `compute_dtype`.

    `scaled=False` is diffusers' layerwise casting (a plain `.to(float8)`, like Lightricks'
    fp8-cast). `scaled=True` stores each weight with a per-tensor scale (amax -> 448, the e4m3
    maximum), so small weights do not fall into e4m3's subnormals: at the real model's weight
    magnitudes (std ~0.02) that is markedly more accurate (see tests/accel/test_fp8.py), and it
    is the layout of the official FP8 checkpoint (`attach_scaled_fp8` takes its W8 and scale).

    Linears that already hold fp8 (loaded from an fp8 checkpoint) keep their stored weights.
    Irreversible (the weights are cast in place): reload to undo. Apply before compiling and
    before building a text-encoder offloader's pinned copy. LoRAs: use the unfused runtime
    with `scaled=True` or fp8 checkpoints (fusing into scaled weights ignores the scale).
    """
    blocks = transformer.transformer_blocks
    kept = resolve_blocks(keep_blocks, len(blocks))
    before = _param_bytes(transformer)
    cast: list[str] = []
    already: list[str] = []
    for idx, block in enumerate(blocks):
        if idx in kept:
            continue
        new, old = _store_linears_fp8(
            block,
            f"transformer_blocks.{idx}.",
            IN_BLOCK_SKIP,
            storage_dtype=storage_dtype,
            compute_dtype=compute_dtype,
            non_blocking=non_blocking,
            scaled=scaled,
        )
        cast.extend(new)
        already.extend(old)
    report = Fp8CastReport(tuple(cast), kept, before, _param_bytes(transformer), scaled, tuple(already))
    logger.info(
        "fp8 storage (%s): %d Linears in %d blocks as %s, %d already fp8 (blocks %s kept in %s); "
        "weights %.2f -> %.2f GB",
        "per-tensor scaled" if scaled else "plain cast",
        len(cast),
        len(blocks) - len(kept),
        storage_dtype,
        len(already),
        list(kept),
        compute_dtype,
        report.bytes_before / 1e9,
        report.bytes_after / 1e9,
    )
    return report


# Gemma 3: everything but the norms, the token embedding (tied to lm_head: casting one casts
# both) and the vision tower (unused for prompts, and its patch embedding is precision-sensitive).
TEXT_ENCODER_SKIP: tuple[str, ...] = ("norm", "embed_tokens", "lm_head", "vision_tower")


def enable_fp8_text_encoder(
    text_encoder: torch.nn.Module,
    *,
    storage_dtype: torch.dtype = torch.float8_e4m3fn,
    compute_dtype: torch.dtype = torch.bfloat16,
    non_blocking: bool = False,
) -> Fp8CastReport:
    """fp8 storage for Gemma's Linears (plain cast, the same mechanism as the transformer's).

    Gemma only encodes prompts, so its fp8 weights cost a little prompt fidelity for ~10 GB.
    """
    before = _param_bytes(text_encoder)
    cast, already = _store_linears_fp8(
        text_encoder,
        "",
        TEXT_ENCODER_SKIP,
        storage_dtype=storage_dtype,
        compute_dtype=compute_dtype,
        non_blocking=non_blocking,
        scaled=False,
    )
    report = Fp8CastReport(tuple(cast), (), before, _param_bytes(text_encoder), False, tuple(already))
    logger.info(
        "fp8 storage (text encoder): %d Linears as %s; weights %.2f -> %.2f GB",
        len(cast),
        storage_dtype,
        report.bytes_before / 1e9,
        report.bytes_after / 1e9,
    )
    return report


E4M3_MAX = 448.0


def quantize_per_tensor(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(float8_e4m3fn weight, float32 scale) with weight ~= w8 * scale and amax mapped to 448."""
    w = weight.detach().float()
    scale = (w.abs().max() / E4M3_MAX).clamp(min=1e-12)
    return (w / scale).clamp(-E4M3_MAX, E4M3_MAX).to(torch.float8_e4m3fn), scale


def dequantize(w8: torch.Tensor, scale: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """`w8 * scale` computed in float32 and rounded once to `dtype`.

    The one dequantisation: the forward hook of scaled fp8 Linears and the loader's bf16 path
    for fp8 checkpoints use it, so both give bit-identical weights.
    """
    return (w8.to(torch.float32) * scale.to(device=w8.device, dtype=torch.float32)).to(dtype)


def _dequantize_pre_hook(module: torch.nn.Module, args: tuple) -> None:
    stored = module.weight.data
    module._fp8_stored = stored  # type: ignore[assignment]
    dtype = module._fp8_compute_dtype  # type: ignore[attr-defined]
    module.weight.data = dequantize(stored, module.weight_scale, dtype)  # type: ignore[arg-type]


def _restore_post_hook(module: torch.nn.Module, args: tuple, output: object) -> None:
    stored = module.__dict__.pop("_fp8_stored", None)
    if stored is not None:
        module.weight.data = stored


def attach_scaled_fp8(
    linear: torch.nn.Linear, w8: torch.Tensor, scale: torch.Tensor, compute_dtype: torch.dtype
) -> None:
    """Make `linear` keep `w8` (float8) + `weight_scale` and compute with `w8 * scale` in
    `compute_dtype`. Also the way to load an official FP8 checkpoint's tensors as they are."""
    if w8.shape != linear.weight.shape:
        raise ValueError(f"fp8 weight shape {tuple(w8.shape)} != Linear weight {tuple(linear.weight.shape)}")
    linear.weight = torch.nn.Parameter(w8.to(linear.weight.device), requires_grad=False)
    linear.register_buffer("weight_scale", scale.detach().float().reshape(()).to(w8.device))
    linear._fp8_compute_dtype = compute_dtype  # type: ignore[assignment]
    linear.register_forward_pre_hook(_dequantize_pre_hook)
    linear.register_forward_hook(_restore_post_hook, always_call=True)


# --- (b) fp8 checkpoints -------------------------------------------------------------------


@dataclass(frozen=True)
class Fp8CheckpointInfo:
    """Dtypes found in a .safetensors header (no tensor is read)."""

    path: Path
    dtype_counts: dict[str, int]
    dtype_bytes: dict[str, int]
    fp8_tensors: int
    scale_tensors: int
    fp8_examples: tuple[str, ...] = field(default=())
    scale_examples: tuple[str, ...] = field(default=())

    @property
    def is_fp8(self) -> bool:
        return self.fp8_tensors > 0

    @property
    def scaled(self) -> bool:
        """Per-tensor scales stored beside the fp8 weights (W = W8 * weight_scale)."""
        return self.scale_tensors > 0

    def describe(self) -> str:
        if not self.is_fp8:
            return f"{self.path.name}: no fp8 tensors ({dict(self.dtype_counts)})"
        kind = "scaled" if self.scaled else "unscaled"
        fp8_gb = sum(b for d, b in self.dtype_bytes.items() if d in FP8_DTYPES) / 1e9
        return (
            f"{self.path.name}: fp8 checkpoint ({kind}): {self.fp8_tensors} fp8 tensors ({fp8_gb:.1f} GB), "
            f"{self.scale_tensors} scale tensors; dtypes {dict(self.dtype_counts)}"
        )


def read_safetensors_header(path: Path) -> dict[str, dict]:
    """The JSON header of a .safetensors file (tensor name -> {dtype, shape, data_offsets})."""
    with Path(path).open("rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: not a safetensors file (too short)")
        (n,) = struct.unpack("<Q", raw)
        if n > 100_000_000:
            raise ValueError(f"{path}: safetensors header length {n} is implausible")
        header = json.loads(fh.read(n))
    header.pop("__metadata__", None)
    return header


def inspect_fp8_checkpoint(path: Path | str, *, examples: int = 3) -> Fp8CheckpointInfo:
    path = Path(path)
    header = read_safetensors_header(path)
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    fp8: list[str] = []
    scales: list[str] = []
    for name, entry in header.items():
        dtype = str(entry.get("dtype", "?"))
        counts[dtype] += 1
        start, end = entry.get("data_offsets", (0, 0))
        sizes[dtype] += int(end) - int(start)
        if dtype in FP8_DTYPES:
            fp8.append(name)
        elif name.endswith(SCALE_SUFFIXES) or re.search(r"(^|\.)scale_(weight|input)$", name):
            scales.append(name)
    info = Fp8CheckpointInfo(
        path=path,
        dtype_counts=dict(counts),
        dtype_bytes=dict(sizes),
        fp8_tensors=len(fp8),
        scale_tensors=len(scales),
        fp8_examples=tuple(sorted(fp8)[:examples]),
        scale_examples=tuple(sorted(scales)[:examples]),
    )
    logger.info("%s", info.describe())
    return info


def fp8_source(weights_dtype: str, checkpoint: Fp8CheckpointInfo | None) -> Fp8Source:
    """How the memory plan's fp8 weights should be produced.

    "fp8_checkpoint" when the file on disk already is fp8 (read half the bytes; the loader keeps
    the stored fp8 weights and scales via `attach_scaled_fp8`, and `enable_fp8_storage` leaves
    them alone), "fp8_cast" when fp8 is planned but the file is bf16, "none" when the plan is
    bf16 (an fp8 file is then dequantised once, with `dequantize`).
    """
    if weights_dtype != "float8_e4m3fn":
        return "none"
    if checkpoint is not None and checkpoint.is_fp8:
        return "fp8_checkpoint"
    return "fp8_cast"
