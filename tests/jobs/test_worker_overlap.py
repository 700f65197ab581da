"""The server overlaps jobs on a staged engine: the next job's inputs are prepared while one
denoises, the previous one's video is encoded meanwhile, and queue semantics (cancel, shutdown,
restart, results) stay what a fal client expects."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from ltx_serve.app import create_app
from ltx_serve.jobs.models import NewJob
from ltx_serve.jobs.sqlite import SqliteJobs
from tests.api.conftest import ENDPOINT, make_settings, wait_ready
from tests.fakes.engine import StagedFakeEngine, write_mp4
from tests.fakes.live import serve_in_thread, wait_until

APP = "fal-ai/ltx-2.3-22b"


def _payload(tmp_path: Path, prompt: str = "p") -> dict[str, Any]:
    write_mp4(tmp_path / "in.mp4", 32, 32, 3, 8, seed=1)
    uri = "data:video/mp4;base64," + base64.b64encode((tmp_path / "in.mp4").read_bytes()).decode()
    return {"prompt": prompt, "video_url": uri, "num_frames": 9}


def _status(c: httpx.Client, rid: str) -> dict[str, Any]:
    return c.get(f"/queue/{APP}/requests/{rid}/status", params={"logs": 1}).json()


def _done(c: httpx.Client, rid: str) -> bool:
    return _status(c, rid)["status"] == "COMPLETED"


def _submit(c: httpx.Client, payload: dict[str, Any]) -> str:
    return str(c.post(f"/queue/{ENDPOINT}", json=payload).json()["request_id"])


def test_next_job_is_prepared_during_denoise_and_results_come_as_each_finishes(tmp_path: Path) -> None:
    engine = StagedFakeEngine(steps=5, step_delay=0.1, pre_delay=0.3, post_delay=0.3)
    settings = make_settings(tmp_path / "data")
    with serve_in_thread(create_app(settings, engine)) as live, httpx.Client(base_url=live.base_url) as c:
        wait_ready(c)
        first = _submit(c, _payload(tmp_path, "first"))
        wait_until(lambda: "generate-start" in engine.events(first))
        second = _submit(c, _payload(tmp_path, "second"))
        # claimed ahead: in progress, inputs being fetched, while the first job denoises
        wait_until(lambda: _status(c, second)["status"] == "IN_PROGRESS", timeout=5)
        assert engine.events(first) == ["prepare-start", "generate-start"]
        wait_until(lambda: _done(c, first) and _done(c, second), timeout=20)
        logs = [entry["message"] for entry in _status(c, second)["logs"]]
        assert "inputs ready; waiting for the GPU" in logs
        assert c.get(f"/queue/{APP}/requests/{first}").json()["prompt"] == "first"
        assert c.get(f"/queue/{APP}/requests/{second}").json()["prompt"] == "second"
    at = engine.at
    # job 2's pre-processing ran beside job 1's denoise; job 1's encode beside job 2's denoise
    assert at("prepare-start", second) < at("generate-end", first)
    assert at("finish-end", first) > at("generate-start", second)
    # one job on the GPU at a time, in submission order
    assert at("generate-start", second) >= at("generate-end", first)
    assert engine.calls == [first, second]


@pytest.mark.parametrize("how", ["overlap_jobs=false", "no memory room"])
def test_serial_when_overlap_is_off_or_memory_is_short(tmp_path: Path, how: str) -> None:
    engine = StagedFakeEngine(steps=4, step_delay=0.1, room=how != "no memory room")
    settings = make_settings(tmp_path / "data", overlap_jobs=how != "overlap_jobs=false")
    with serve_in_thread(create_app(settings, engine)) as live, httpx.Client(base_url=live.base_url) as c:
        wait_ready(c)
        first = _submit(c, _payload(tmp_path))
        wait_until(lambda: "generate-start" in engine.events(first))
        second = _submit(c, _payload(tmp_path))
        assert _status(c, second)["status"] == "IN_QUEUE"  # not claimed while the GPU is busy
        wait_until(lambda: _done(c, second), timeout=20)
    assert engine.at("prepare-start", second) >= engine.at("generate-end", first)
    if how == "overlap_jobs=false":  # strictly one job at a time: the first job's encode too
        assert engine.at("prepare-start", second) >= engine.at("finish-end", first)


def test_cancelling_a_job_claimed_ahead_never_runs_it(tmp_path: Path) -> None:
    engine = StagedFakeEngine(steps=8, step_delay=0.1, pre_delay=0.1)
    with (
        serve_in_thread(create_app(make_settings(tmp_path / "data"), engine)) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        wait_ready(c)
        first = _submit(c, _payload(tmp_path))
        wait_until(lambda: "generate-start" in engine.events(first))
        second, third = _submit(c, _payload(tmp_path)), _submit(c, _payload(tmp_path))
        wait_until(lambda: "prepare-start" in engine.events(second))
        answer = c.put(f"/queue/{APP}/requests/{second}/cancel")
        assert answer.status_code == 202
        wait_until(lambda: _done(c, first) and _done(c, second) and _done(c, third), timeout=20)
        cancelled = c.get(f"/queue/{APP}/requests/{second}")
        assert cancelled.status_code == 499
        assert c.get(f"/queue/{APP}/requests/{first}").status_code == 200
        assert c.get(f"/queue/{APP}/requests/{third}").status_code == 200
    assert engine.calls == [first, third]  # the cancelled job never reached the GPU


def test_shutdown_hands_back_the_job_claimed_ahead_and_keeps_its_retry(tmp_path: Path) -> None:
    engine = StagedFakeEngine(steps=6, step_delay=0.1)
    settings = make_settings(tmp_path / "data", shutdown_grace_s=10)
    with serve_in_thread(create_app(settings, engine)) as live, httpx.Client(base_url=live.base_url) as c:
        wait_ready(c)
        first = _submit(c, _payload(tmp_path))
        wait_until(lambda: "generate-start" in engine.events(first))
        second = _submit(c, _payload(tmp_path))
        wait_until(lambda: _status(c, second)["status"] == "IN_PROGRESS")
    jobs = SqliteJobs(tmp_path / "data" / "jobs.sqlite3")
    running, ahead = jobs.get(first), jobs.get(second)
    assert running is not None and running.result_status == 200  # finished within the grace period
    assert ahead is not None and ahead.status == "IN_QUEUE" and ahead.attempts == 0
    assert engine.calls == [first]


def test_restart_after_a_crash_with_two_jobs_in_progress_runs_both_in_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    payload = _payload(tmp_path)
    jobs = SqliteJobs(data / "jobs.sqlite3")
    for rid in ("on-gpu", "claimed-ahead", "queued"):
        jobs.submit(NewJob(request_id=rid, endpoint_id=ENDPOINT, payload=payload, base_url="http://x"))
    jobs.claim_next(0.1)
    jobs.claim_next(0.1)  # the process died with a job denoising and the next one prepared
    jobs.close()

    engine = StagedFakeEngine()
    with (
        serve_in_thread(create_app(make_settings(data), engine)) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        wait_until(lambda: all(_done(c, rid) for rid in ("on-gpu", "claimed-ahead", "queued")), timeout=20)
        assert all(c.get(f"/queue/{APP}/requests/{rid}").status_code == 200 for rid in ("on-gpu", "queued"))
    assert engine.calls == ["on-gpu", "claimed-ahead", "queued"]
