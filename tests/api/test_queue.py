"""The queue API as fal clients use it: submit, exact positions, status, result, cancel, SSE."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ENDPOINT, LORA_ENDPOINT, LiveFactory, wait_ready
from tests.api.test_sync import data_uri
from tests.fakes.engine import FakeEngine
from tests.fakes.live import wait_until

APP = "fal-ai/ltx-2.3-22b"


def submit(client: httpx.Client, body: dict, endpoint: str = ENDPOINT, **params: str) -> dict:
    response = client.post(f"/queue/{endpoint}", json=body, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_submit_answers_fal_shape_with_sub_path_free_urls(
    client: httpx.Client, sample_mp4: Path, live
) -> None:
    lora = {
        "prompt": "p",
        "video_url": data_uri(sample_mp4),
        "loras": [{"path": "https://example.com/x.safetensors"}],
    }
    job = submit(client, lora, endpoint=LORA_ENDPOINT)
    rid = job["request_id"]
    assert job["status"] == "IN_QUEUE"
    assert isinstance(job["queue_position"], int)
    assert job["gateway_request_id"] == rid
    root = f"{live.base_url}/queue/fal-ai/ltx-2.3-quality/requests/{rid}"
    assert job["response_url"] == root
    assert job["status_url"] == root + "/status"
    assert job["cancel_url"] == root + "/cancel"
    # the with-sub-path form answers too
    sub = client.get(f"/queue/{LORA_ENDPOINT}/requests/{rid}/status")
    assert sub.status_code in (200, 202)
    assert sub.json()["request_id"] == rid


def test_positions_are_exact_and_jobs_run_in_order(live_factory: LiveFactory, sample_mp4: Path) -> None:
    engine = FakeEngine(steps=40, step_delay=0.05)
    with live_factory(engine=engine) as live, httpx.Client(base_url=live.base_url, timeout=30) as client:
        wait_ready(client)
        body = {"prompt": "p", "video_url": data_uri(sample_mp4)}
        jobs = [submit(client, body) for _ in range(4)]
        wait_until(lambda: len(engine.calls) == 1)
        statuses = [client.get(j["status_url"]) for j in jobs]
        assert statuses[0].status_code == 202 and statuses[0].json()["status"] == "IN_PROGRESS"
        assert statuses[0].json()["logs"] is None
        assert [s.json().get("queue_position") for s in statuses[1:]] == [0, 1, 2]
        assert all(s.status_code == 202 for s in statuses)
        # cancelling a queued job moves everyone behind it up
        cancel = client.put(jobs[1]["cancel_url"])
        assert cancel.status_code == 202 and cancel.json() == {"status": "CANCELLATION_REQUESTED"}
        assert client.get(jobs[3]["status_url"]).json()["queue_position"] == 1
        engine.step_delay = 0.0
        wait_until(lambda: client.get(jobs[3]["status_url"]).json()["status"] == "COMPLETED", timeout=30)
        assert engine.calls == [jobs[0]["request_id"], jobs[2]["request_id"], jobs[3]["request_id"]]
        assert client.get(jobs[1]["response_url"]).status_code == 499


@pytest.mark.parametrize(
    ("flag", "expect_logs"), [("1", True), ("true", True), ("0", False), ("false", False)]
)
def test_logs_query_accepts_js_and_python_spellings(
    client: httpx.Client, sample_mp4: Path, flag: str, expect_logs: bool
) -> None:
    wait_ready(client)
    job = submit(client, {"prompt": "p", "video_url": data_uri(sample_mp4)})
    wait_until(lambda: client.get(job["status_url"]).status_code == 200)
    body = client.get(job["status_url"], params={"logs": flag}).json()
    assert body["status"] == "COMPLETED"
    assert isinstance(body["metrics"]["inference_time"], float)
    if expect_logs:
        messages = [entry["message"] for entry in body["logs"]]
        assert "step 3/3" in messages
        assert {"message", "level", "source", "timestamp"} <= set(body["logs"][0])
        assert body["logs"][0]["source"] == "USER"
    else:
        assert body["logs"] is None


def test_result_before_completion_and_cancel_after(live_factory: LiveFactory, sample_mp4: Path) -> None:
    engine = FakeEngine(steps=100, step_delay=0.05)
    with live_factory(engine=engine) as live, httpx.Client(base_url=live.base_url, timeout=30) as client:
        wait_ready(client)
        job = submit(client, {"prompt": "p", "video_url": data_uri(sample_mp4)})
        early = client.get(job["response_url"])
        assert early.status_code == 400 and early.json() == {"detail": "Request is still in progress"}
        wait_until(lambda: len(engine.calls) == 1)
        assert client.put(job["cancel_url"]).status_code == 202
        wait_until(lambda: client.get(job["status_url"]).status_code == 200, timeout=10)
        done = client.get(job["status_url"]).json()
        assert done["error_type"] == "request_cancelled"
        result = client.get(job["response_url"])
        assert result.status_code == 499
        assert result.json() == {"detail": "Request cancelled by the client."}
        again = client.put(job["cancel_url"])
        assert again.status_code == 400 and again.json() == {"status": "ALREADY_COMPLETED"}


def test_unknown_request_is_404(client: httpx.Client) -> None:
    for method, suffix in (("GET", "/status"), ("GET", ""), ("PUT", "/cancel")):
        response = client.request(
            method, f"/queue/{APP}/requests/00000000-0000-0000-0000-000000000000{suffix}"
        )
        assert response.status_code == 404
        assert "detail" in response.json()


def test_failed_job_replays_its_422(client: httpx.Client) -> None:
    wait_ready(client)
    job = submit(client, {"prompt": "p", "video_url": "http://127.0.0.1:9/x.mp4"})  # nothing listens
    wait_until(lambda: client.get(job["status_url"]).status_code == 200)
    status = client.get(job["status_url"]).json()
    assert status["status"] == "COMPLETED" and status["error"]
    result = client.get(job["response_url"])
    assert result.status_code == 422
    assert result.json()["detail"][0]["loc"] == ["body", "video_url"]


def test_sse_stream_sends_changes_and_closes_after_completed(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    job = submit(client, {"prompt": "p", "video_url": data_uri(sample_mp4)})
    events = []
    with client.stream("GET", job["status_url"] + "/stream", params={"logs": "1"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    assert events[-1]["status"] == "COMPLETED"
    logs = [entry["message"] for event in events for entry in event.get("logs") or []]
    assert logs.count("step 1/3") == 1 and "step 3/3" in logs


def test_sync_mode_result_is_a_data_uri_delivered_once(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    job = submit(client, {"prompt": "p", "video_url": data_uri(sample_mp4), "sync_mode": True})
    wait_until(lambda: client.get(job["status_url"]).status_code == 200)
    first = client.get(job["response_url"])
    assert first.status_code == 200
    assert first.json()["video"]["url"].startswith("data:video/mp4;base64,")
    second = client.get(job["response_url"])
    assert second.status_code == 404
    assert "sync_mode" in second.json()["detail"]


def test_submit_with_unsafe_webhook_is_refused(live_factory: LiveFactory, sample_mp4: Path) -> None:
    with live_factory(allow_private_urls=False) as live, httpx.Client(base_url=live.base_url) as client:
        response = client.post(
            f"/queue/{ENDPOINT}",
            params={"fal_webhook": "http://127.0.0.1:1/hook"},
            json={"prompt": "p", "video_url": data_uri(sample_mp4)},
        )
        assert response.status_code == 400
        assert "fal_webhook" in response.json()["detail"]


def test_start_timeout_fails_a_job_that_could_not_start_in_time(
    live_factory: LiveFactory, sample_mp4: Path
) -> None:
    engine = FakeEngine(steps=100, step_delay=0.05)
    with live_factory(engine=engine) as live, httpx.Client(base_url=live.base_url, timeout=30) as client:
        wait_ready(client)
        body = {"prompt": "p", "video_url": data_uri(sample_mp4)}
        blocker = submit(client, body)
        wait_until(lambda: len(engine.calls) == 1)
        late = client.post(f"/queue/{ENDPOINT}", json=body, headers={"X-Fal-Request-Timeout": "0.5"}).json()
        wait_until(lambda: client.get(late["status_url"]).status_code == 200, timeout=10)
        result = client.get(late["response_url"])
        assert result.status_code == 504
        assert result.headers["x-fal-request-timeout-type"] == "user"
        assert result.json()["error_type"] == "request_timeout"
        client.put(blocker["cancel_url"])
        assert late["request_id"] not in engine.calls
