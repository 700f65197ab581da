"""The per-job table `ltx-serve bench` prints, and its JSON last line."""

from __future__ import annotations

import json

import pytest

from ltx_serve.ops.bench_report import BenchResult, bench_metrics, format_bench
from ltx_serve.ops.flops import Geometry, StageSpec, job_flops

# Deliberately out of pipeline order, except the denoise stages (kept in execution order).
TIMINGS = {
    "decode": 4.0,
    "denoise_stage1": 6.0,
    "prompt_encode": 0.5,
    "encode": 1.0,
    "denoise_stage2": 3.0,
    "preprocess": 2.0,
    "upsample": 0.5,
}


def result(**kw) -> BenchResult:
    flops = job_flops([StageSpec("s1", Geometry(768, 512, 121), 8)])
    base = dict(
        endpoint="fal-ai/ltx-2.3-22b/video-to-video",
        width=1280,
        height=720,
        num_frames=121,
        timings=TIMINGS,
        dit_flops=flops,
        peak_memory_bytes=50 * 2**30,
        device_name="NVIDIA H100 80GB HBM3",
        gpu_usd_per_hour=3.6,
    )
    base.update(kw)
    return BenchResult(**base)


def test_stages_print_in_pipeline_order_with_total() -> None:
    lines = format_bench(result()).splitlines()
    stages = [ln.split()[0] for ln in lines[2:10]]
    assert stages == [
        "prompt_encode",
        "preprocess",
        "denoise_stage1",
        "denoise_stage2",
        "upsample",
        "decode",
        "encode",
        "total",
    ]
    assert "17.000" in lines[9]


def test_mfu_uses_denoise_time_and_datasheet_peak() -> None:
    m = bench_metrics(result())
    assert m["denoise_s"] == 9.0
    assert m["peak_tflops"] == 989.4
    assert m["mfu_denoise"] == pytest.approx(m["dit_tflop"] / (9.0 * 989.4))
    assert m["mfu_end_to_end"] < m["mfu_denoise"]


def test_cost_lines_next_to_fal() -> None:
    text = format_bench(result())
    assert "peak memory        50.00 GiB" in text
    assert "111.51 MP (fal bills 112 MP)" in text
    assert "GPU $0.0170" in text  # 17 s at $3.60/h
    assert "fal $0.1798" in text


def test_last_line_is_json_for_scripts() -> None:
    data = json.loads(format_bench(result()).splitlines()[-1])
    assert data["total_s"] == 17.0
    assert data["fal_billed_megapixels"] == 112
    assert next(iter(data["timings_s"])) == "prompt_encode"


def test_unknown_gpu_and_price_degrade_to_na() -> None:
    text = format_bench(result(device_name="Tesla T4", gpu_usd_per_hour=None, endpoint="x/y"))
    assert "unknown GPU peak" in text
    assert "MFU                denoise n/a" in text
    assert "GPU n/a, fal n/a" in text
