"""The engine's start-up memory plan and performance paths: what /ready reports, how the
operator's settings reach the plan, and that an offloaded Gemma changes nothing but placement."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ltx_serve.config import Settings
from ltx_serve.engine import ltx as engine_module
from ltx_serve.engine import recipes as presets
from ltx_serve.engine.ltx import (
    memory_overrides,
    needs_self_attention_mask,
    preset_warmup_shapes,
)
from ltx_serve.models.memory_plan import GiB, MemoryOverrides, plan_memory
from ltx_serve.schemas.validation import validate_input
from tests.engine.conftest import generated_frames

HOPPER = (9, 0)
QUICK = {"enable_prompt_expansion": False, "enable_safety_checker": False}


def reference_payload(media: dict[str, Path]) -> dict[str, Any]:
    return {
        **QUICK,
        "prompt": "a yellow disc bouncing",
        "video_url": str(media["video"]),
        "resolution": {"width": 64, "height": 64},
        "num_frames": 9,
        "frames_per_second": 12,
        "num_inference_steps": 8,
        "seed": 1234,
    }


def run_reference(engine: Any, make_ctx: Any, files: Any, payload: dict[str, Any]) -> np.ndarray:
    from ltx_serve.media.decode import decode_video

    endpoint = presets.REFERENCE_ENDPOINT
    request = validate_input(endpoint, files.localize(payload, Path(".")))
    result = engine.run(endpoint, request, make_ctx(endpoint))
    return decode_video(result.video.path, "video").frames


def backend(attention: Any) -> str:
    """The diffusers attention backend an attention module's processor dispatches to."""
    return str(attention.processor._attention_backend.value)


# -- Settings -> MemoryOverrides -> plan (pure; simulated GPUs) -------------------------------------


def test_settings_map_onto_the_planners_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert memory_overrides(Settings()) == MemoryOverrides()  # auto: the planner decides
    assert memory_overrides(
        Settings(weights_dtype="fp8", text_encoder_placement="offload", vae_tiling=True)
    ) == MemoryOverrides(weights_dtype="float8_e4m3fn", text_encoder="offload", vae_tiling=True)
    monkeypatch.setenv("LTX_SERVE_WEIGHTS_DTYPE", "bf16")
    monkeypatch.setenv("LTX_SERVE_TEXT_ENCODER_PLACEMENT", "cpu")
    monkeypatch.setenv("LTX_SERVE_VAE_TILING", "false")
    assert memory_overrides(Settings()) == MemoryOverrides(
        weights_dtype="bfloat16", text_encoder="cpu", vae_tiling=False
    )


@pytest.mark.parametrize(
    ("settings", "gib", "expected"),
    [
        # automatic: the largest plan that fits
        ({}, 141, ("bfloat16", "gpu", "gpu", False)),
        ({}, 80, ("bfloat16", "gpu", "offload", False)),
        ({}, 48, ("float8_e4m3fn", "gpu", "offload", False)),
        ({}, 24, ("bfloat16", "group_offload", "cpu", False)),
        # an operator's choice wins even where the automatic plan would differ
        ({"weights_dtype": "fp8"}, 141, ("float8_e4m3fn", "gpu", "gpu", False)),
        ({"weights_dtype": "fp8"}, 80, ("float8_e4m3fn", "gpu", "gpu", False)),
        ({"weights_dtype": "bf16"}, 48, ("bfloat16", "group_offload", "gpu", False)),
        ({"text_encoder_placement": "offload"}, 141, ("bfloat16", "gpu", "offload", False)),
        ({"text_encoder_placement": "cpu"}, 80, ("bfloat16", "gpu", "cpu", False)),
        ({"vae_tiling": True}, 141, ("bfloat16", "gpu", "gpu", True)),
    ],
)
def test_settings_reach_the_plan_on_simulated_gpus(
    settings: dict[str, Any], gib: int, expected: tuple[str, str, str, bool]
) -> None:
    plan = plan_memory(gib * GiB, HOPPER, overrides=memory_overrides(Settings(**settings)))
    assert (plan.weights_dtype, plan.transformer, plan.text_encoder, plan.vae_tiling) == expected
    assert plan.fits


def test_warmup_shapes_come_from_the_endpoints_default_requests() -> None:
    shapes = preset_warmup_shapes(1024)
    sizes = {(s.width, s.height, s.num_frames) for s in shapes}
    # reference: the Union size for 16:9 with its half-size guide, biased (video_strength 0.6)
    ref = next(s for s in shapes if (s.width, s.height) == (896, 512))
    assert (ref.num_frames, ref.guide_tokens, ref.self_attention_mask, ref.batch) == (121, 1792, True, 1)
    # video-to-video: stage 1 at half size with the four-pass dev guidance (STG), stage 2 at full
    v2v1 = next(s for s in shapes if (s.width, s.height) == (640, 352))
    assert (v2v1.batch, v2v1.stg_blocks) == (4, presets.STG_BLOCKS)
    assert (1280, 704, 121) in sizes
    assert (1024, 576, 121) in sizes and (512, 288, 121) in sizes  # audio-to-video's fallback size
    assert all(s.text_tokens == 1024 for s in shapes)
    assert len({s.video_tokens for s in shapes}) >= 2  # the sequence length becomes dynamic in warm-up


def test_only_a_weakened_reference_needs_a_self_attention_mask() -> None:
    facts = presets.MediaFacts(video_size=(128, 128))
    base = {"prompt": "x", "video_url": "https://example.com/v.mp4"}
    for strength, masked in ((0.6, True), (1.0, False)):
        request = validate_input(presets.REFERENCE_ENDPOINT, {**base, "video_strength": strength})
        recipe = presets.build_recipe(presets.REFERENCE_ENDPOINT, request, facts)
        assert needs_self_attention_mask(recipe) is masked


# -- the loaded engine (tiny weights, CPU) --------------------------------------------------------


@pytest.mark.slow
def test_ready_info_reports_the_cpu_plan_and_attention(engine) -> None:
    info = engine.info()
    plan = info["memory_plan"]
    assert info["dtype"] == "float32"
    assert (plan["weights_dtype"], plan["compute_dtype"]) == ("float32", "float32")
    assert (plan["transformer"], plan["text_encoder"], plan["vae_tiling"], plan["fits"]) == (
        "gpu",
        "gpu",
        False,
        True,
    )
    assert "float32" in plan["summary"] and "CPU: no GPU plan" in plan["notes"]
    assert "attention: video self native" in info["accel"] and "compiled" not in info["accel"]
    assert engine.components.text_encoder_offloader is None  # everything resident, as before
    assert engine.components.vae.use_tiling is False


@pytest.mark.slow
def test_a_biased_reference_runs_self_attention_on_the_masked_backend(
    engine, make_ctx, files, media, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on a GPU whose fast kernel takes no mask: `attn1` switches for the sampler call only."""
    attention = replace(engine.accel.attention, video_self="flash", masked="_native_math")
    monkeypatch.setattr(engine, "accel", replace(engine.accel, attention=attention))
    attn1 = engine.components.transformer.transformer_blocks[0].attn1
    seen: list[str] = []
    handle = attn1.register_forward_pre_hook(lambda m, a: seen.append(backend(m)))
    try:
        run_reference(engine, make_ctx, files, reference_payload(media))  # video_strength 0.6
    finally:
        handle.remove()
    assert seen and set(seen) == {"_native_math"}
    assert backend(attn1) == "native"  # restored after the request


@pytest.mark.slow
def test_offloaded_gemma_gives_the_same_video_and_leaves_the_device(
    engine_settings: Settings, make_ctx, files, media, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two fresh engines, resident and offloaded, each running the same one request: the
    session engine is not the reference, its request history is not this one's."""
    real_detect = engine_module.detect_plan

    def simulated(device: Any, overrides: MemoryOverrides | None = None) -> Any:
        """`detect_plan` as on a GPU that honours the placement (the CPU plan ignores overrides)."""
        plan = real_detect(device, overrides)
        wanted = overrides.text_encoder if overrides is not None else None
        return replace(plan, text_encoder=wanted) if wanted else plan

    monkeypatch.setattr(engine_module, "detect_plan", simulated)
    resident = engine_module.create_engine(engine_settings)
    resident.load()
    offloaded = engine_module.create_engine(
        engine_settings.model_copy(update={"text_encoder_placement": "offload"})
    )
    offloaded.load()
    assert offloaded.info()["memory_plan"]["text_encoder"] == "offload"
    offloader = offloaded.components.text_encoder_offloader
    assert offloader is not None and not offloader.on_device

    encoding: list[bool] = []  # was Gemma on the compute device, per Gemma / transformer call
    sampling: list[bool] = []
    offloaded.components.text_encoder.register_forward_pre_hook(
        lambda *_: encoding.append(offloader.on_device)
    )
    offloaded.components.transformer.register_forward_pre_hook(
        lambda *_: sampling.append(offloader.on_device)
    )
    payload = reference_payload(media)
    frames = generated_frames(offloaded, make_ctx, files, presets.REFERENCE_ENDPOINT, payload)

    assert encoding == [True]  # Gemma encoded the prompt on the compute device...
    assert sampling and not any(sampling)  # ...and had left it before the first denoising step
    assert not offloader.on_device
    assert np.array_equal(
        frames, generated_frames(resident, make_ctx, files, presets.REFERENCE_ENDPOINT, payload)
    )
