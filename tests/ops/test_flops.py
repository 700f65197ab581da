"""FLOP, MFU and cost arithmetic against the worked numbers of the research note and fal's pages."""

from __future__ import annotations

import pytest

from ltx_serve.ops.flops import (
    GPU_PEAKS,
    LTX_23,
    Geometry,
    StageSpec,
    audio_tokens,
    fal_billed_megapixels,
    fal_cost,
    forward_flops,
    gpu_cost,
    job_flops,
    latent_frames,
    lookup_peak,
    megapixels,
    mfu,
    video_tokens,
)


def test_121_frames_make_16_latent_frames() -> None:
    assert latent_frames(121) == 16
    assert latent_frames(1) == 1


def test_video_tokens_768x512() -> None:
    assert video_tokens(Geometry(768, 512, 121)) == 6_144


def test_union_default_job_with_half_size_guide() -> None:
    assert video_tokens(Geometry(896, 512, 121, guide_downscale=2)) == 8_960


def test_1280x704_and_720_rejected() -> None:
    assert video_tokens(Geometry(1280, 704, 121)) == 14_080
    with pytest.raises(ValueError, match="multiple of 32"):
        video_tokens(Geometry(1280, 720, 121))


def test_active_params_are_12_9_billion() -> None:
    assert LTX_23.video_active_params == pytest.approx(12.9e9, rel=0.01)


def test_768x512_forward_is_193_tflop() -> None:
    f = forward_flops(Geometry(768, 512, 121))
    assert f.video_linear == pytest.approx(1.58e14, rel=0.01)
    assert f.video_self_attn == pytest.approx(2.97e13, rel=0.01)
    assert f.video_terms == pytest.approx(193e12, rel=0.005)
    # Audio, A<->V and text K/V add a few percent on top, no more.
    assert f.video_terms < f.total < 1.05 * f.video_terms


def test_upper_estimate_with_all_22b_params() -> None:
    f = forward_flops(Geometry(768, 512, 121), active_params=22e9)
    assert f.video_terms == pytest.approx(305e12, rel=0.01)


@pytest.mark.parametrize(
    ("geom", "tflop"),
    [
        (Geometry(896, 512, 121, guide_downscale=2), 301),
        (Geometry(1280, 704, 121), 530),
        (Geometry(1536, 1024, 121), 1128),
    ],
)
def test_other_worked_cases(geom: Geometry, tflop: float) -> None:
    assert forward_flops(geom).video_terms / 1e12 == pytest.approx(tflop, rel=0.01)


def test_audio_tokens_25_per_second() -> None:
    assert audio_tokens(Geometry(768, 512, 121, fps=24)) == 126
    assert audio_tokens(Geometry(768, 512, 121, audio=False)) == 0


def test_job_flops_scale_with_steps_and_passes() -> None:
    g = Geometry(768, 512, 121)
    one = forward_flops(g).total
    distilled = job_flops([StageSpec("stage 1", g, steps=8)])
    assert distilled == pytest.approx(8 * one)
    dev = job_flops([StageSpec("stage 1", g, steps=30, passes_per_step=4)])
    assert dev == pytest.approx(120 * one)
    half = Geometry(384, 256, 121)
    two_stage = job_flops([StageSpec("s1", half, 8), StageSpec("s2", g, 3)])
    assert two_stage == pytest.approx(8 * forward_flops(half).total + 3 * one)
    # A half-resolution forward has a quarter of the tokens, so it costs well under a third.
    assert forward_flops(half).total < one / 3


def test_mfu_of_the_sglang_anchor() -> None:
    # Note: 8 steps of 768x512x121 denoised in 6.0 s on one H100 -> roughly 26 % MFU.
    flops = 8 * forward_flops(Geometry(768, 512, 121)).video_terms
    assert mfu(flops, 6.0, GPU_PEAKS["H100 SXM"].bf16_dense_tflops) == pytest.approx(0.26, abs=0.01)
    with pytest.raises(ValueError):
        mfu(flops, 0, 989)


@pytest.mark.parametrize(
    ("device", "peak"),
    [
        ("NVIDIA H100 80GB HBM3", 989.4),
        ("NVIDIA H100 PCIe", 756.0),
        ("NVIDIA H200", 989.4),
        ("NVIDIA H200 NVL", 835.5),
        ("NVIDIA A100-SXM4-80GB", 312.0),
        ("NVIDIA L40S", 362.05),
        ("NVIDIA GeForce RTX 4090", 165.2),
    ],
)
def test_device_names_map_to_datasheet_peaks(device: str, peak: float) -> None:
    found = lookup_peak(device)
    assert found is not None and found.bf16_dense_tflops == peak


def test_unknown_device_has_no_peak() -> None:
    assert lookup_peak("Tesla T4") is None


def test_fal_megapixels_and_price_examples() -> None:
    assert megapixels(1280, 720, 121) == pytest.approx(111.5136)
    assert fal_billed_megapixels(1280, 720, 121) == 112
    quality = fal_cost("fal-ai/ltx-2.3-quality/reference-video-to-video", 1280, 720, 121)
    base = fal_cost("fal-ai/ltx-2.3-22b/video-to-video", 1280, 720, 121)
    # fal's pages print $0.270 and $0.179 for this video.
    assert quality == pytest.approx(0.270, abs=0.001)
    assert base == pytest.approx(0.179, abs=0.001)
    with pytest.raises(ValueError, match="no fal price"):
        fal_cost("fal-ai/unknown", 1, 1, 1)


def test_gpu_cost_per_job() -> None:
    assert gpu_cost(36.0, 2.5) == pytest.approx(0.025)
