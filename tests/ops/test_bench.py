"""`ltx-serve bench`: per-stage timings, FLOPs counted from the real transformer calls, cost and MFU.

The end-to-end test runs the real command on the tiny preset (random weights) on CPU, at
128x64x9 and 8 steps: the numbers are measured, the assertions check how they are reported
and derived.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
import torch
import typer
from typer.testing import CliRunner

from ltx_serve.ops.bench import stage_rows
from ltx_serve.ops.commands import bench
from ltx_serve.ops.flop_counter import FlopCounter, ForwardCall
from ltx_serve.ops.flops import LTX_23, Architecture, Geometry, arch_from_config, forward_flops
from ltx_serve.pipelines.timing import StageTimer, observe_stages

# The tiny preset's transformer (ltx_serve/models/presets.py), written out by hand.
TINY_128 = Architecture(
    layers=2, video_dim=16, audio_dim=8, av_dim=8, video_context_dim=16, audio_context_dim=8, text_tokens=128
)
PRICE_PER_HOUR = 3.6  # $0.001 per second
PEAK_TFLOPS = 1e-6  # 1 MFLOP/s: a made-up peak, so MFU is a number to check on CPU


def test_config_of_the_22b_transformer_gives_the_documented_architecture() -> None:
    config = {
        "num_layers": 48,
        "num_attention_heads": 32,
        "attention_head_dim": 128,
        "cross_attention_dim": 4096,
        "audio_num_attention_heads": 32,
        "audio_attention_head_dim": 64,
        "audio_cross_attention_dim": 2048,
    }
    assert arch_from_config(config) == LTX_23


class _FakeTransformer(torch.nn.Module):
    config = {
        "num_layers": 2,
        "num_attention_heads": 2,
        "attention_head_dim": 8,
        "cross_attention_dim": 16,
        "audio_num_attention_heads": 2,
        "audio_attention_head_dim": 4,
        "audio_cross_attention_dim": 8,
    }

    def forward(self, **kwargs: torch.Tensor) -> torch.Tensor:
        return kwargs["hidden_states"]


def _call(model: torch.nn.Module, batch: int, n: int, na: int, t: int) -> None:
    model(
        hidden_states=torch.zeros(batch, n, 4),
        audio_hidden_states=torch.zeros(batch, na, 4),
        encoder_hidden_states=torch.zeros(batch, t, 16),
    )


def test_flop_counter_prices_each_call_by_batch_and_tokens_and_labels_its_stage() -> None:
    model = _FakeTransformer()
    timer = StageTimer()
    with FlopCounter(model) as counter:
        with timer.stage("stage1"):
            _call(model, batch=3, n=20, na=9, t=128)
        _call(model, batch=1, n=16, na=9, t=128)
    _call(model, batch=1, n=16, na=9, t=128)  # after the block: not counted
    # By hand (docs/operations.md terms, L=2 d=16 a=8 c=8 T=128, N=20, Na=9): video linears
    # 327,680 + self-attn 51,200 + text-attn 327,680 + text K/V 327,680 + audio linears 41,472
    # + audio self 5,184 + audio text 73,728 + A<->V 23,040 = 1,177,664 per sample.
    assert counter.calls[0] == ForwardCall("stage1", 3, 20, 9, 128, 3 * 1_177_664)
    # 128x64x9 at 24 fps with the ref0.5 guide is exactly those tokens.
    assert forward_flops(Geometry(128, 64, 9, 24.0, guide_downscale=2), TINY_128).total == 1_177_664
    assert counter.calls[1].stage is None and counter.calls[1].video_tokens == 16
    assert len(counter.calls) == 2
    assert counter.total == pytest.approx(sum(c.flops for c in counter.calls))


def test_lazy_decode_is_charged_only_for_producing_frames() -> None:
    """Frames are decoded while the caller encodes them: only the decoder's time is `vae_decode`."""

    def decoder() -> Iterator[int]:
        for i in range(3):
            time.sleep(0.02)
            yield i

    timer = StageTimer()
    with observe_stages() as seen:
        start = time.perf_counter()
        for _ in timer.iterate("vae_decode", decoder()):
            time.sleep(0.05)  # the encoder's work
        wall = time.perf_counter() - start
    decode = timer.timings["vae_decode"]
    assert 0.06 <= decode <= wall - 0.15  # 3 x 20 ms decoding, not the 3 x 50 ms encoding
    assert seen.timings == timer.timings


def test_stage_rows_split_the_engine_laps_and_add_up_to_the_wall_time() -> None:
    engine = {"inputs": 0.4, "prompt": 0.0, "sampling": 5.0, "decode": 1.6, "encode": 0.5}
    stages = {
        "prompt_encode": 1.0,
        "condition_encode": 0.2,
        "stage1": 2.5,
        "upsample": 0.1,
        "stage2": 0.8,
        "audio_decode": 0.3,
        "vae_decode": 1.5,
        "lora_switch": 0.2,
    }
    rows = stage_rows(engine, stages, wall=8.0)
    assert rows["encode"] == pytest.approx(0.5)
    assert rows["preprocess_inputs"] == 0.4 and rows["decode_video"] == 1.5
    assert rows["other"] == pytest.approx(8.0 - 7.5)
    assert sum(rows.values()) == pytest.approx(8.0)


# --------------------------------------------------------------------------- the real command

STAGES_ONE = ["prompt_encode", "preprocess_inputs", "preprocess_vae_encode", "denoise_stage1"]
STAGES_END = ["decode_video", "decode_audio", "encode", "lora_switch"]


@pytest.fixture(scope="module")
def cpu_run() -> tuple[str, dict[str, Any]]:
    app = typer.Typer()
    app.command()(bench)
    args = ["--device", "cpu", "--job", "reference", "--job", "video-to-video"]
    args += ["--width", "128", "--height", "64", "--frames", "9", "--steps", "8"]
    args += ["--repeats", "1", "--warmup", "0", "--gpu-price", str(PRICE_PER_HOUR)]
    args += ["--peak-tflops", str(PEAK_TFLOPS)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    return out, json.loads(out.strip().splitlines()[-1])


def _table_seconds(block: str, stage: str) -> float:
    line = next(ln for ln in block.splitlines() if ln.split() and ln.split()[0] == stage)
    return float(line.split()[1])


@pytest.mark.slow
def test_cpu_bench_table_has_every_stage_with_a_measured_time(cpu_run: tuple[str, dict[str, Any]]) -> None:
    out, last = cpu_run
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 3  # two tables, then the run's JSON line
    ref, v2v = blocks[0], blocks[1]
    assert ref.splitlines()[0].startswith("fal-ai/ltx-2.3-quality/reference-video-to-video  128x64x9  on CPU")
    assert v2v.splitlines()[0].startswith("fal-ai/ltx-2.3-22b/video-to-video  128x64x9  on CPU")
    for stage in [*STAGES_ONE, *STAGES_END]:
        assert _table_seconds(ref, stage) > 0, stage
    for stage in [*STAGES_ONE, "upsample", "denoise_stage2", *STAGES_END]:
        assert _table_seconds(v2v, stage) > 0, stage
    assert "upsample" not in ref  # one-stage recipe
    for block in (ref, v2v):
        assert "peak memory        n/a" in block  # no CUDA
        # each table ends with its own JSON line, the same as the run's last line holds
        assert json.loads(block.splitlines()[-1]) in last["jobs"]
    assert [j["job"] for j in last["jobs"]] == ["reference", "video-to-video"]


@pytest.mark.slow
def test_cpu_bench_flops_match_the_analytic_formula_for_what_ran(cpu_run: tuple[str, dict[str, Any]]) -> None:
    _, last = cpu_run
    ref, v2v = last["jobs"]
    # Reference: 20 video tokens (16 + the half-size guide's 4), 9 audio, 128 text, 8 steps x 1 pass.
    stage1 = ref["flops_by_stage"]["stage1"]
    assert (stage1["video_tokens"], stage1["audio_tokens"], stage1["text_tokens"]) == (20, 9, 128)
    assert stage1["samples"] == 8
    per_forward = forward_flops(Geometry(128, 64, 9, 24.0, guide_downscale=2), TINY_128).total
    assert stage1["tflop"] == pytest.approx(8 * per_forward / 1e12)
    assert ref["dit_tflop"] == pytest.approx(stage1["tflop"])
    # Video-to-video: stage 1 at half size (64x32) with its guidance passes batched, stage 2 at 128x64.
    s1, s2 = v2v["flops_by_stage"]["stage1"], v2v["flops_by_stage"]["stage2"]
    assert (s1["video_tokens"], s2["video_tokens"]) == (4, 16)
    assert s1["samples"] > s1["calls"]  # CFG/STG/modality passes run as a batch
    expected = s1["samples"] * forward_flops(Geometry(64, 32, 9, 24.0), TINY_128).total
    expected += s2["samples"] * forward_flops(Geometry(128, 64, 9, 24.0), TINY_128).total
    assert v2v["dit_tflop"] == pytest.approx(expected / 1e12)


@pytest.mark.slow
def test_cpu_bench_cost_and_mfu_come_from_the_measured_times(cpu_run: tuple[str, dict[str, Any]]) -> None:
    out, last = cpu_run
    for job in last["jobs"]:
        total = job["total_s"]
        assert total == pytest.approx(sum(job["timings_s"].values()))
        assert [total] == pytest.approx(job["wall_s_runs"])  # the rows partition the wall time
        assert job["gpu_usd"] == pytest.approx(total * PRICE_PER_HOUR / 3600)
        assert job["fal_billed_megapixels"] == math.ceil(128 * 64 * 9 / 1e6) == 1
        denoise = sum(v for k, v in job["timings_s"].items() if k.startswith("denoise"))
        assert job["mfu_denoise"] == pytest.approx(job["dit_tflop"] / (denoise * PEAK_TFLOPS))
        assert job["mfu_end_to_end"] == pytest.approx(job["dit_tflop"] / (total * PEAK_TFLOPS))
        assert f"cost per job       GPU ${job['gpu_usd']:.4f}, fal ${job['fal_usd']:.4f}" in out
    assert last["jobs"][0]["fal_usd"] == pytest.approx(0.0024075)
    assert last["jobs"][1]["fal_usd"] == pytest.approx(0.001605)
