"""Cost accounting: the status `metrics` carry megapixels and results carry fal's
`x-fal-billable-units` (megapixels rounded up, 0 when the job failed)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.conftest import ENDPOINT, LiveFactory, wait_ready
from tests.api.test_queue import APP, submit
from tests.api.test_sync import data_uri
from tests.fakes.engine import FakeEngine
from tests.fakes.live import wait_until


def _status(client: httpx.Client, request_id: str) -> dict:
    response = client.get(f"/queue/{APP}/requests/{request_id}/status")
    assert response.status_code == 200, response.text
    return response.json()


def test_sync_result_bills_megapixels_rounded_up_and_status_reports_them(
    client: httpx.Client, sample_mp4: Path
) -> None:
    wait_ready(client)
    # 481 frames at the fake's 64x48: 1.477632 megapixels, billed as 2 units.
    body = {"prompt": "p", "video_url": data_uri(sample_mp4), "num_frames": 481}
    response = client.post(f"/{ENDPOINT}", json=body)
    assert response.status_code == 200, response.text
    video = response.json()["video"]
    expected = video["width"] * video["height"] * video["num_frames"] / 1e6
    assert expected == 1.477632
    assert response.headers["x-fal-billable-units"] == "2"
    metrics = _status(client, response.headers["x-fal-request-id"])["metrics"]
    assert metrics["megapixels"] == expected
    assert metrics["inference_time"] > 0


def test_queue_result_carries_the_same_billable_units_on_every_read(
    client: httpx.Client, sample_mp4: Path
) -> None:
    wait_ready(client)
    job = submit(client, {"prompt": "p", "video_url": data_uri(sample_mp4), "num_frames": 9})
    wait_until(lambda: client.get(job["status_url"]).status_code == 200)
    status = client.get(job["status_url"]).json()
    assert status["metrics"]["megapixels"] == 64 * 48 * 9 / 1e6  # 0.027648: still one unit
    for _ in range(2):
        result = client.get(job["response_url"])
        assert result.status_code == 200
        assert result.headers["x-fal-billable-units"] == "1"


def test_sync_mode_result_is_billed_though_nothing_is_kept(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    body = {"prompt": "p", "video_url": data_uri(sample_mp4), "num_frames": 9, "sync_mode": True}
    response = client.post(f"/run/{ENDPOINT}", json=body)
    assert response.status_code == 200
    assert response.json()["video"]["url"].startswith("data:video/mp4;base64,")
    assert response.headers["x-fal-billable-units"] == "1"
    # The body is gone from history, the accounting is not.
    assert _status(client, response.headers["x-fal-request-id"])["metrics"]["megapixels"] == 0.027648


def test_failed_jobs_bill_zero(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    crash = client.post(f"/{ENDPOINT}", json={"prompt": "please explode", "video_url": data_uri(sample_mp4)})
    assert crash.status_code == 500
    assert crash.headers["x-fal-billable-units"] == "0"
    assert _status(client, crash.headers["x-fal-request-id"])["metrics"]["megapixels"] == 0

    bad_url = submit(client, {"prompt": "p", "video_url": "http://127.0.0.1:9/missing.mp4"})
    wait_until(lambda: client.get(bad_url["status_url"]).status_code == 200)
    replay = client.get(bad_url["response_url"])
    assert replay.status_code == 422
    assert replay.headers["x-fal-billable-units"] == "0"


def test_cancelled_job_bills_zero(live_factory: LiveFactory, sample_mp4: Path) -> None:
    engine = FakeEngine(steps=200, step_delay=0.05)
    with live_factory(engine=engine) as live, httpx.Client(base_url=live.base_url, timeout=30) as client:
        wait_ready(client)
        job = submit(client, {"prompt": "p", "video_url": data_uri(sample_mp4)})
        wait_until(lambda: len(engine.calls) == 1)
        client.put(job["cancel_url"])
        wait_until(lambda: client.get(job["status_url"]).status_code == 200, timeout=10)
        assert client.get(job["status_url"]).json()["metrics"]["megapixels"] == 0
        result = client.get(job["response_url"])
        assert result.status_code == 499
        assert result.headers["x-fal-billable-units"] == "0"
