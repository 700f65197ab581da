"""The table `ltx-serve bench` prints for one job, and its machine-readable last line.

Why this shape: a single wall time hides where a video job spends its time (Gemma, VAE
decode and preprocessing cost seconds each, comparable to the DiT), so the table lists
each stage with its share. MFU is computed on the denoise stages only (the FLOPs are
the DiT's), megapixels and cost sit next to fal's price for the same endpoint, and the
last line is JSON so scripts can compare runs without parsing the table
(see benchmarks/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ltx_serve.ops.flops import (
    FAL_PRICES,
    fal_billed_megapixels,
    fal_cost,
    gpu_cost,
    lookup_peak,
    megapixels,
    mfu,
)

# Display order; `denoise*` keys (one per stage) keep their own order, unknown keys go last.
STAGE_ORDER = ("prompt_encode", "preprocess", "denoise", "upsample", "decode", "encode")


@dataclass(frozen=True)
class BenchResult:
    """One measured job. Timings in seconds, keyed by stage (`denoise_stage1`, ...)."""

    endpoint: str
    width: int
    height: int
    num_frames: int
    timings: Mapping[str, float]
    dit_flops: float
    peak_memory_bytes: int | None = None
    device_name: str | None = None
    # Overrides the datasheet lookup from `device_name` (e.g. a power-capped card).
    peak_tflops: float | None = None
    gpu_usd_per_hour: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _ordered(timings: Mapping[str, float]) -> list[tuple[str, float]]:
    def rank(item: tuple[int, str]) -> tuple[int, int]:
        index, key = item
        for pos, prefix in enumerate(STAGE_ORDER):
            if key == prefix or key.startswith(prefix + "_") or key.startswith(prefix + " "):
                return pos, index
        return len(STAGE_ORDER), index

    keys = [k for _, k in sorted(enumerate(timings), key=rank)]
    return [(k, float(timings[k])) for k in keys]


def denoise_seconds(timings: Mapping[str, float]) -> float:
    return sum(v for k, v in timings.items() if k.startswith("denoise"))


def bench_metrics(result: BenchResult) -> dict[str, Any]:
    """Everything derived from a result; also the JSON line."""
    total = sum(result.timings.values())
    denoise = denoise_seconds(result.timings)
    peak = result.peak_tflops
    if peak is None and result.device_name:
        found = lookup_peak(result.device_name)
        peak = found.bf16_dense_tflops if found else None
    mp = megapixels(result.width, result.height, result.num_frames)
    price = FAL_PRICES.get(result.endpoint)
    return {
        "endpoint": result.endpoint,
        "size": f"{result.width}x{result.height}x{result.num_frames}",
        "device": result.device_name,
        "timings_s": dict(_ordered(result.timings)),
        "total_s": total,
        "denoise_s": denoise,
        "peak_memory_gib": None if result.peak_memory_bytes is None else result.peak_memory_bytes / 2**30,
        "dit_tflop": result.dit_flops / 1e12,
        "peak_tflops": peak,
        "mfu_denoise": mfu(result.dit_flops, denoise, peak) if peak and denoise > 0 else None,
        "mfu_end_to_end": mfu(result.dit_flops, total, peak) if peak and total > 0 else None,
        "megapixels": mp,
        "fal_billed_megapixels": fal_billed_megapixels(result.width, result.height, result.num_frames),
        "fal_usd": fal_cost(result.endpoint, result.width, result.height, result.num_frames)
        if price
        else None,
        "fal_price_published": price.published if price else None,
        "gpu_usd": gpu_cost(total, result.gpu_usd_per_hour) if result.gpu_usd_per_hour is not None else None,
        **dict(result.extra),
    }


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def _usd(x: float | None) -> str:
    return "n/a" if x is None else f"${x:.4f}"


def _tflop(x: float) -> str:
    """One decimal for real jobs; significant digits for the tiny preset's micro-TFLOPs."""
    return f"{x:.1f}" if x >= 0.05 or x == 0 else f"{x:.3g}"


def format_bench(result: BenchResult) -> str:
    """Human table, then one JSON line (the last line of the output)."""
    m = bench_metrics(result)
    total = m["total_s"]
    rows = [("stage", "seconds", "share")]
    for key, secs in m["timings_s"].items():
        rows.append((key, f"{secs:.3f}", f"{100 * secs / total:.1f} %" if total else "n/a"))
    rows.append(("total", f"{total:.3f}", "100.0 %" if total else "n/a"))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    lines = [f"{m['endpoint']}  {m['size']}  on {m['device'] or 'unknown device'}"]
    lines += [f"  {a.ljust(w0)}  {b.rjust(w1)}  {c.rjust(7)}" for a, b, c in rows]
    mem = "n/a" if m["peak_memory_gib"] is None else f"{m['peak_memory_gib']:.2f} GiB"
    peak = "unknown GPU peak" if m["peak_tflops"] is None else f"{m['peak_tflops']:g} TFLOP/s dense bf16"
    fal_note = "" if m["fal_price_published"] in (None, True) else " (assumed price)"
    lines += [
        f"  peak memory        {mem}",
        f"  DiT work           {_tflop(m['dit_tflop'])} TFLOP vs {peak}",
        f"  MFU                denoise {_pct(m['mfu_denoise'])}, end to end {_pct(m['mfu_end_to_end'])}",
        f"  megapixels         {m['megapixels']:.2f} MP (fal bills {m['fal_billed_megapixels']} MP)",
        f"  cost per job       GPU {_usd(m['gpu_usd'])}, fal {_usd(m['fal_usd'])}{fal_note}",
        json.dumps(m),
    ]
    return "\n".join(lines)
