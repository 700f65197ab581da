"""The engine end to end on the tiny random-weight LTX-2.3 set: real decode, sampler, encoder."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ltx_serve.engine import recipes as presets
from ltx_serve.errors import FieldError, JobCancelled
from ltx_serve.media.probe import probe
from ltx_serve.schemas.validation import validate_input
from tests.engine.conftest import generated_frames

pytestmark = pytest.mark.slow

REF = presets.REFERENCE_ENDPOINT
QUICK = {"enable_prompt_expansion": False, "enable_safety_checker": False}


def run(engine: Any, make_ctx: Any, files: Any, endpoint: str, payload: dict[str, Any]):
    request = validate_input(endpoint, files.localize({**QUICK, **payload}, Path(".")))
    ctx = make_ctx(endpoint)
    return engine.run(endpoint, request, ctx), ctx


def best_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 2048) -> float:
    """Highest correlation of two mono signals over lags up to `max_lag` samples (AAC priming
    delays a re-encoded track by ~1024 samples)."""
    n = min(len(a), len(b)) - 2 * max_lag
    core = b[max_lag : max_lag + n]
    return max(float(np.corrcoef(a[lag : lag + n], core)[0, 1]) for lag in range(0, 2 * max_lag, 16))


def test_reference_video_to_video(engine, make_ctx, files, media) -> None:
    payload = {
        "prompt": "a yellow disc bouncing",
        "video_url": str(media["video"]),
        "resolution": {"width": 64, "height": 64},
        "num_frames": 9,
        "frames_per_second": 12,
        "num_inference_steps": 8,
        "seed": 1234,
    }
    result, ctx = run(engine, make_ctx, files, REF, payload)
    info = probe(result.video.path, "video")
    assert (info.video.width, info.video.height, info.video.num_frames) == (64, 64, 9)
    assert float(info.video.fps) == 12
    assert info.audio is not None and result.video.has_audio
    assert result.seed == 1234 and result.prompt == "a yellow disc bouncing"
    assert result.megapixels == pytest.approx(64 * 64 * 9 / 1e6)
    steps = [m for _, m in ctx.logs if "stage1: step" in m]
    assert len(steps) == 8 and steps[-1].startswith("stage1: step 8/8")
    assert any("control video" in m for _, m in ctx.logs)
    assert set(result.timings) >= {"inputs", "prompt", "sampling", "decode", "encode"}
    # the control video the IC-LoRA was guided by is kept as an extra, in step with the output
    control = probe(result.extras["control_video"].path, "control")
    assert (control.video.width, control.video.height, control.video.num_frames) == (64, 64, 9)
    assert float(control.video.fps) == 12 and control.audio is None
    # same seed, same frames bit for bit; another seed, another video
    quick = {**QUICK, **payload}
    first = generated_frames(engine, make_ctx, files, REF, quick)
    assert np.array_equal(first, generated_frames(engine, make_ctx, files, REF, quick))
    assert np.mean(first != generated_frames(engine, make_ctx, files, REF, {**quick, "seed": 99})) > 0.5


def test_random_seed_is_reported_and_audio_can_be_dropped(engine, make_ctx, files, media) -> None:
    payload = {
        "prompt": "x",
        "video_url": str(media["video"]),
        "resolution": "square",
        "num_frames": 9,
        "num_inference_steps": 8,
        "generate_audio": False,
    }
    payload["resolution"] = {"width": 64, "height": 64}
    result, _ = run(engine, make_ctx, files, REF, payload)
    assert isinstance(result.seed, int)
    assert probe(result.video.path, "video").audio is None and not result.video.has_audio


def test_direct_control_with_preserve_original_video(engine, make_ctx, files, media) -> None:
    payload = {
        "prompt": "x",
        "video_url": str(media["video"]),
        "control_video_url": str(media["silent"]),
        "skip_control_preprocess": True,
        "preserve_original_video": True,
        "strength": 0.5,
        "num_frames": 9,
        "num_inference_steps": 8,
        "seed": 3,
    }
    result, _ = run(engine, make_ctx, files, REF, payload)
    # direct control + 'auto': the 160x96 source size, 64-aligned
    assert (result.video.width, result.video.height) == (192, 128)


def test_video_to_video_two_stage_crops_to_32_grid(engine, make_ctx, files, media) -> None:
    payload = {
        "prompt": "x",
        "video_url": str(media["video"]),
        "num_inference_steps": 8,
        "acceleration": "full",
        "video_output_type": "VP9 (.webm)",
        "seed": 7,
    }
    result, _ = run(engine, make_ctx, files, presets.VIDEO_TO_VIDEO_ENDPOINT, payload)
    # 'auto' follows the 160x96 input (32-aligned); generated at 192x128 and centre-cropped
    assert (result.video.width, result.video.height) == (160, 96)
    assert result.video.content_type == "video/webm"
    info = probe(result.video.path, "video")
    assert info.video.num_frames == 17  # match_video_length: 17 source frames at 24 fps
    assert info.audio is not None
    assert result.extras == {}  # no control video without the IC-LoRA


def test_audio_to_video_keeps_the_original_audio(engine, make_ctx, files, media) -> None:
    payload = {
        "prompt": "x",
        "audio_url": str(media["tone"]),
        "resolution": {"width": 64, "height": 64},
        "num_inference_steps": 8,
        "seed": 5,
    }
    result, _ = run(engine, make_ctx, files, presets.AUDIO_TO_VIDEO_ENDPOINT, payload)
    info = probe(result.video.path, "video")
    assert info.video.num_frames == 17  # 1 s of audio at 24 fps -> 24 -> 17
    assert info.audio is not None and info.audio.sample_rate == 44_100  # the caller's rate, not 48 kHz
    from ltx_serve.media.audio import decode_audio

    out = decode_audio(result.video.path, "video", sample_rate=44_100)
    source = decode_audio(media["tone"], "audio", sample_rate=44_100, duration=out.duration)
    # the muxed track is the input tone (AAC-coded), not generated audio
    assert best_correlation(out.samples[0], source.samples[0]) > 0.9


def test_video_to_video_frozen_audio_is_muxed_unchanged(engine, make_ctx, files, media) -> None:
    """audio_strength 1 keeps the input track: the sampler does not regenerate it, so the
    caller's own waveform (at its own rate) is muxed."""
    payload = {
        "prompt": "x",
        "video_url": str(media["video"]),
        "video_size": {"width": 64, "height": 64},
        "acceleration": "full",
        "audio_strength": 1.0,
        "use_multiscale": False,
        "seed": 4,
    }
    result, _ = run(engine, make_ctx, files, presets.VIDEO_TO_VIDEO_ENDPOINT, payload)
    from ltx_serve.devtools.synthetic import tone
    from ltx_serve.media.audio import decode_audio

    out = decode_audio(result.video.path, "video", sample_rate=48_000)
    assert best_correlation(out.samples[0], tone(out.duration)[0]) > 0.9


def test_missing_camera_lora_names_the_field(engine, make_ctx, files, media) -> None:
    payload = {"prompt": "x", "video_url": str(media["video"]), "camera_lora": "jib_up"}
    with pytest.raises(FieldError) as err:
        run(engine, make_ctx, files, presets.VIDEO_TO_VIDEO_ENDPOINT, payload)
    assert err.value.errors[0]["loc"] == ["body", "camera_lora"]
    assert "ltx-2-19b-lora-camera-control-jib-up.safetensors" in err.value.errors[0]["msg"]


def test_missing_union_lora_is_a_server_error_naming_the_file(
    tiny_weights, make_ctx, files, media, tmp_path
) -> None:
    """The operator's problem, not the caller's: 500 (never 503, which fal's JS client would
    retry) and the file to place."""
    from ltx_serve.config import Settings
    from ltx_serve.engine.ltx import MissingModelFile, create_engine
    from ltx_serve.models.catalog import BY_KEY

    union = BY_KEY["ic_lora_union"].filename
    partial = tmp_path / "weights"
    partial.mkdir()
    for item in tiny_weights.iterdir():
        if item.name != union:
            (partial / item.name).symlink_to(item)
    engine = create_engine(Settings(weights_dir=partial, device="cpu", data_dir=tmp_path / "data"))
    engine.load()
    with pytest.raises(MissingModelFile) as err:
        run(engine, make_ctx, files, REF, {"prompt": "x", "video_url": str(media["video"])})
    assert err.value.status_code == 500 and union in err.value.message


def test_cancel_between_steps(engine, files, media, tmp_path) -> None:
    from ltx_serve.devtools.local_context import LocalJobContext

    request = validate_input(
        REF,
        files.localize(
            {
                **QUICK,
                "prompt": "x",
                "video_url": str(media["video"]),
                "num_frames": 9,
                "resolution": {"width": 64, "height": 64},
            },
            Path("."),
        ),
    )
    ctx = LocalJobContext(tmp_path / "job", files=files)

    def cancel_on_step(message: str, level: str) -> None:
        if "step 2/" in message:
            ctx.cancelled.set()

    ctx._on_log = cancel_on_step
    with pytest.raises(JobCancelled):
        engine.run(REF, request, ctx)
    assert not any("step 4/" in m for _, m in ctx.logs)
    assert engine.registry.active_loras == {}  # LoRAs are cleared even when a job stops


def test_lora_endpoint_downloads_filters_and_caches(engine, make_ctx, files, media, tiny_weights) -> None:
    lora_file = tiny_weights / "ltx-2-19b-lora-camera-control-dolly-in.safetensors"
    data_uri = "data:application/octet-stream;base64," + base64.b64encode(lora_file.read_bytes()).decode()
    payload = {
        "prompt": "x",
        "video_url": str(media["video"]),
        "resolution": {"width": 64, "height": 64},
        "num_frames": 9,
        "num_inference_steps": 8,
        "seed": 1,
        "loras": [{"path": data_uri, "scale": 0.8, "transformer": "video"}],
    }
    _, ctx = run(engine, make_ctx, files, presets.REFERENCE_LORA_ENDPOINT, payload)
    cached = {p.name for p in engine.cache_dir.glob("*.safetensors")}
    digest = next(n for n in cached if "-" not in n).removesuffix(".safetensors")
    assert cached == {f"{digest}.safetensors", f"{digest}-video.safetensors"}
    assert any("LoRA 0: sha256" in m for _, m in ctx.logs)
    # the user LoRA changes the output (compared before encoding: see `generated_frames`)
    with_lora = generated_frames(
        engine, make_ctx, files, presets.REFERENCE_LORA_ENDPOINT, {**QUICK, **payload}
    )
    base = {**QUICK, **{k: v for k, v in payload.items() if k != "loras"}}
    without = generated_frames(engine, make_ctx, files, REF, base)
    assert np.mean(with_lora != without) > 0.2
    audio_only = {**payload, "loras": [{"path": data_uri, "scale": 0.8, "transformer": "audio"}]}
    with pytest.raises(FieldError) as err:  # a video-only LoRA has nothing for the audio branch
        run(engine, make_ctx, files, presets.REFERENCE_LORA_ENDPOINT, audio_only)
    assert err.value.errors[0]["loc"] == ["body", "loras", 0, "path"]


def _png_data_uri(width: int, height: int, colour: tuple[int, int, int]) -> str:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_keyframe_images(engine, make_ctx, files, media) -> None:
    """image_url / mid_image_url / end_image_url (reference) and a first-frame image (audio)."""
    red, blue = _png_data_uri(80, 48, (220, 30, 30)), _png_data_uri(80, 48, (30, 30, 220))
    payload = {
        "prompt": "x",
        "video_url": str(media["video"]),
        "image_url": red,
        "mid_image_url": blue,
        "end_image_url": red,
        "resolution": {"width": 64, "height": 64},
        "num_frames": 17,
        "num_inference_steps": 8,
        "seed": 2,
    }
    with_images, _ = run(engine, make_ctx, files, REF, payload)
    assert with_images.video.num_frames == 17
    no_images = {**QUICK, **{k: v for k, v in payload.items() if "image" not in k}}
    assert (
        np.mean(
            generated_frames(engine, make_ctx, files, REF, {**QUICK, **payload})
            != generated_frames(engine, make_ctx, files, REF, no_images)
        )
        > 0.2
    )
    a2v = {
        "prompt": "x",
        "audio_url": str(media["tone"]),
        "image_url": _png_data_uri(48, 96, (10, 200, 10)),
        "image_strength": 1.0,
        "match_audio_length": False,
        "num_frames": 9,
        "num_inference_steps": 8,
        "seed": 2,
    }
    portrait, _ = run(engine, make_ctx, files, presets.AUDIO_TO_VIDEO_ENDPOINT, a2v)
    # 'auto' follows the portrait image's aspect (at the 1024x576 fallback's area)
    assert portrait.video.height > portrait.video.width


ENCODE_IN_FRESH_PROCESS = """
import hashlib, sys
import av, numpy as np
from ltx_serve.media.encode import VideoWriter
frames = np.load(sys.argv[1])
with VideoWriter(sys.argv[2], width=frames.shape[2], height=frames.shape[1], fps=12) as writer:
    writer.write(frames)
with av.open(sys.argv[2]) as container:
    packets = b"".join(bytes(p) for p in container.demux(video=0) if p.size)
print(hashlib.sha1(packets).hexdigest())
"""


def test_the_same_frames_always_encode_to_the_same_h264(engine, make_ctx, files, media, tmp_path) -> None:
    """libx264's AVX-512 code reads uninitialised heap memory, so without
    `encode.x264_cpu_options` two encodes of these very frames differ whenever the leftover
    heap differs; glibc's MALLOC_PERTURB_ fills it with a chosen byte, and 1 vs 128 gave the two
    bitstreams before the fix. (On a CPU without AVX-512 this holds with or without the fix.)"""
    import subprocess
    import sys

    payload = {**QUICK, "prompt": "a yellow disc bouncing", "video_url": str(media["video"])}
    payload |= {"resolution": {"width": 64, "height": 64}, "num_frames": 9, "frames_per_second": 12}
    payload |= {"num_inference_steps": 8, "seed": 1234}
    np.save(tmp_path / "frames.npy", generated_frames(engine, make_ctx, files, REF, payload))
    hashes = set()
    for perturb in ("1", "128"):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                ENCODE_IN_FRESH_PROCESS,
                str(tmp_path / "frames.npy"),
                str(tmp_path / "o.mp4"),
            ],
            env={**os.environ, "MALLOC_PERTURB_": perturb},
            capture_output=True,
            text=True,
            check=True,
        )
        hashes.add(out.stdout.strip())
    assert len(hashes) == 1
