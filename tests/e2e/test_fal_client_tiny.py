"""Every endpoint end to end: the official Python fal client -> HTTP -> queue -> the real
engine on the tiny weights -> the file store -> download -> PyAV.

The random weights make noise, so these tests check what a fal user relies on apart from
the picture: the file decodes, and has the requested frame count, size, fps and container,
with an audio stream exactly when `generate_audio` is true (GIF never has one).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import fal_client
import httpx
import numpy as np
import pytest

from ltx_serve.media.probe import probe
from tests.e2e.conftest import Inputs

pytestmark = pytest.mark.slow

REF = "fal-ai/ltx-2.3-quality/reference-video-to-video"
REF_LORA = "fal-ai/ltx-2.3-quality/reference-video-to-video/lora"
V2V = "fal-ai/ltx-2.3-22b/video-to-video"
A2V = "fal-ai/ltx-2.3-quality/audio-to-video"

# No prompt expansion (tens of seconds on the tiny Gemma), fewest steps the schemas allow.
QUICK = {"enable_prompt_expansion": False, "num_inference_steps": 8, "seed": 11}
# video-to-video: the distilled recipe (1 pass x 8 steps), the requested length and rate.
V2V_QUICK = {**QUICK, "acceleration": "full", "match_video_length": False, "match_input_fps": False}


@dataclass(frozen=True)
class Expect:
    width: int
    height: int
    frames: int
    fps: float
    extension: str
    content_type: str
    audio: bool


@dataclass(frozen=True)
class Case:
    name: str
    endpoint: str
    arguments: dict[str, Any]
    expect: Expect


def _mp4(w: int, h: int, frames: int, fps: float, audio: bool) -> Expect:
    return Expect(w, h, frames, fps, ".mp4", "video/mp4", audio)


CASES = [
    Case(
        "reference-mp4-no-audio",
        REF,
        {
            "video_url": "video",
            "resolution": {"width": 128, "height": 64},
            "num_frames": 9,
            "frames_per_second": 12,
            "generate_audio": False,
        },
        _mp4(128, 64, 9, 12, audio=False),
    ),
    Case(
        "reference-lora-mp4-audio",
        REF_LORA,
        {
            "video_url": "video",
            "resolution": {"width": 64, "height": 64},
            "num_frames": 17,
            "frames_per_second": 24,
            "loras": [{"path": "lora", "scale": 0.8, "transformer": "video"}],
        },
        _mp4(64, 64, 17, 24, audio=True),
    ),
    Case(
        "v2v-x264-audio",
        V2V,
        {
            **V2V_QUICK,
            "video_url": "video",
            "video_size": {"width": 96, "height": 64},
            "num_frames": 9,
            "fps": 16,
            "video_output_type": "X264 (.mp4)",
        },
        _mp4(96, 64, 9, 16, audio=True),
    ),
    Case(
        "v2v-vp9-no-audio",
        V2V,
        {
            **V2V_QUICK,
            "video_url": "video",
            "video_size": {"width": 64, "height": 64},
            "num_frames": 17,
            "fps": 24,
            "video_output_type": "VP9 (.webm)",
            "generate_audio": False,
        },
        Expect(64, 64, 17, 24, ".webm", "video/webm", audio=False),
    ),
    Case(
        "v2v-prores-audio",
        V2V,
        {
            **V2V_QUICK,
            "video_url": "video",
            "video_size": {"width": 64, "height": 96},
            "num_frames": 9,
            "fps": 12,
            "video_output_type": "PRORES4444 (.mov)",
        },
        Expect(64, 96, 9, 12, ".mov", "video/quicktime", audio=True),
    ),
    Case(
        "v2v-gif-never-audio",
        V2V,
        {
            **V2V_QUICK,
            "video_url": "video",
            "video_size": {"width": 64, "height": 64},
            "num_frames": 9,
            "fps": 25,
            "video_output_type": "GIF (.gif)",
            "generate_audio": True,
        },
        Expect(64, 64, 9, 25, ".gif", "image/gif", audio=False),
    ),
    Case(
        "a2v-first-frame-mp4-audio",
        A2V,
        {
            "audio_url": "tone",
            "image_url": "image",
            "resolution": {"width": 64, "height": 64},
            "match_audio_length": False,
            "num_frames": 9,
            "frames_per_second": 24,
        },
        _mp4(64, 64, 9, 24, audio=True),
    ),
]


def _with_inputs(arguments: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """Replace the input names in a case ('video', 'lora', ...) with their uploaded URLs."""
    out: dict[str, Any] = {"prompt": "a yellow disc bouncing over a gradient", **QUICK}
    for key, value in arguments.items():
        if key.endswith("_url"):
            value = getattr(inputs, value)
        elif key == "loras":
            value = [{**lora, "path": getattr(inputs, lora["path"])} for lora in value]
        out[key] = value
    return out


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def check_file(path: Path, expect: Expect) -> None:
    info = probe(path, "output")
    assert info.video is not None
    assert (info.video.width, info.video.height) == (expect.width, expect.height)
    assert decoded_frames(path) == expect.frames
    if expect.extension == ".gif":
        # GIF stores delays in 1/100 s: its rate is only as exact as that.
        assert abs(float(info.video.fps) - expect.fps) < 1.0
    else:
        assert info.video.fps == Fraction(expect.fps)
    assert (info.audio is not None) == expect.audio


def download(url: str, folder: Path, file_name: str) -> Path:
    response = httpx.get(url, timeout=60)
    assert response.status_code == 200
    path = folder / file_name
    path.write_bytes(response.content)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_subscribe_returns_the_requested_video(
    fal: fal_client.SyncClient, inputs: Inputs, case: Case, tmp_path: Path
) -> None:
    updates: list[fal_client.Status] = []
    request_ids: list[str] = []
    out = fal.subscribe(
        case.endpoint,
        _with_inputs(case.arguments, inputs),
        with_logs=True,
        on_enqueue=request_ids.append,
        on_queue_update=updates.append,
        client_timeout=300,
    )
    assert isinstance(updates[-1], fal_client.Completed)
    logged = [log["message"] for u in updates if getattr(u, "logs", None) for log in u.logs]
    assert any("stage1: step" in m for m in logged)
    assert out["seed"] == QUICK["seed"]
    video = out["video"]
    expect = case.expect
    assert video["content_type"] == expect.content_type
    assert video["file_name"].endswith(expect.extension)
    assert (video["width"], video["height"], video["num_frames"]) == (
        expect.width,
        expect.height,
        expect.frames,
    )
    path = download(video["url"], tmp_path, video["file_name"])
    assert path.stat().st_size == video["file_size"]
    check_file(path, expect)
    # Cost accounting: the COMPLETED status reports the output's megapixels.
    status = fal.status(case.endpoint, request_ids[0])
    assert isinstance(status, fal_client.Completed)
    assert status.metrics["megapixels"] == pytest.approx(expect.width * expect.height * expect.frames / 1e6)


def test_every_output_type_and_endpoint_is_covered() -> None:
    assert {c.endpoint for c in CASES} == {REF, REF_LORA, V2V, A2V}
    assert {c.expect.extension for c in CASES} == {".mp4", ".webm", ".mov", ".gif"}
    assert {c.expect.audio for c in CASES} == {True, False}


def test_sync_mode_returns_a_data_uri(fal: fal_client.SyncClient, inputs: Inputs, tmp_path: Path) -> None:
    arguments = {"video_url": "video", "video_size": {"width": 64, "height": 64}, "num_frames": 9, "fps": 24}
    out = fal.run(V2V, {**_with_inputs({**V2V_QUICK, **arguments}, inputs), "sync_mode": True})
    url = out["video"]["url"]
    prefix = "data:video/mp4;base64,"
    assert url.startswith(prefix)
    path = tmp_path / "sync.mp4"
    path.write_bytes(base64.b64decode(url[len(prefix) :]))
    assert path.stat().st_size == out["video"]["file_size"]
    check_file(path, _mp4(64, 64, 9, 24, audio=True))


def test_back_to_back_jobs_overlap_and_match_a_job_run_alone(
    fal: fal_client.SyncClient, inputs: Inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two submits in a row on the real engine: the second job's inputs are fetched and its
    control video rendered while the first denoises, and overlapping changes no output (same
    seed, the same decoded video as the job run alone, bit for bit)."""
    from ltx_serve.models import memory_plan

    # The host-memory rule is tested on its own (tests/models); here it must not depend on how
    # much RAM the CI machine has free.
    monkeypatch.setattr(memory_plan, "PREFETCH_HOST_RESERVE", 0)
    case = next(c for c in CASES if c.name == "reference-mp4-no-audio")
    arguments = _with_inputs(case.arguments, inputs)
    alone = fal.run(case.endpoint, arguments)
    handles = [fal.submit(case.endpoint, arguments) for _ in range(2)]
    outs = [h.get() for h in handles]
    logs = [log["message"] for log in fal.status(case.endpoint, handles[1].request_id, with_logs=True).logs]
    assert "inputs ready; waiting for the GPU" in logs
    paths = [download(o["video"]["url"], tmp_path, f"{i}.mp4") for i, o in enumerate([alone, *outs])]
    for path in paths:
        check_file(path, case.expect)
    frames = [
        np.stack([f.to_ndarray(format="rgb24") for f in av.open(str(p)).decode(video=0)]) for p in paths
    ]
    assert np.array_equal(frames[0], frames[1]) and np.array_equal(frames[0], frames[2])
