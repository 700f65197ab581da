"""/health, /ready (503 until the engine is loaded), /metrics, and the request-id header."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from tests.api.conftest import ENDPOINT, LiveFactory, wait_ready
from tests.api.test_sync import data_uri
from tests.fakes.engine import FakeEngine
from tests.fakes.live import wait_until


def test_ready_is_503_until_load_returns_and_jobs_wait(live_factory: LiveFactory, sample_mp4: Path) -> None:
    gate = threading.Event()
    engine = FakeEngine(load_gate=gate)
    with live_factory(engine=engine) as live, httpx.Client(base_url=live.base_url, timeout=30) as c:
        assert c.get("/health").json() == {"status": "ok"}
        loading = c.get("/ready")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        job = c.post(f"/queue/{ENDPOINT}", json={"prompt": "p", "video_url": data_uri(sample_mp4)}).json()
        assert c.get(job["status_url"]).json()["status"] == "IN_QUEUE"
        gate.set()
        wait_ready(c)
        ready = c.get("/ready").json()
        assert ready["engine"] == engine.info()
        wait_until(lambda: c.get(job["status_url"]).status_code == 200)


def test_failed_load_keeps_ready_503_with_reason(live_factory: LiveFactory) -> None:
    with live_factory(engine=FakeEngine(fail_load=True)) as live, httpx.Client(base_url=live.base_url) as c:
        wait_until(lambda: "failed" in c.get("/ready").json()["detail"])
        assert c.get("/ready").status_code == 503
        assert "fake weights missing" in c.get("/ready").json()["detail"]


def test_metrics_expose_queue_jobs_and_http(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    client.post(f"/{ENDPOINT}", json={"prompt": "p", "video_url": data_uri(sample_mp4)})
    client.post(f"/{ENDPOINT}", json={"prompt": "p"})  # 422
    text = client.get("/metrics").text
    assert "ltx_queue_depth 0.0" in text and "ltx_jobs_running 0.0" in text
    assert f'ltx_job_duration_seconds_count{{endpoint="{ENDPOINT}",outcome="ok"}} 1.0' in text
    assert f'ltx_generated_megapixels_total{{endpoint="{ENDPOINT}"}}' in text
    assert f'ltx_http_requests_total{{method="POST",route="/{ENDPOINT}",status="200"}} 1.0' in text
    assert f'ltx_http_requests_total{{method="POST",route="/{ENDPOINT}",status="422"}} 1.0' in text
    assert (
        f'ltx_http_request_duration_seconds_count{{method="POST",route="/{ENDPOINT}",status="200"}} 1.0'
        in text
    )
    assert 'route="/metrics"' not in text


def test_request_id_header_echoed(client: httpx.Client) -> None:
    assert client.get("/health", headers={"x-request-id": "abc"}).headers["x-request-id"] == "abc"
    assert client.get("/health").headers["x-request-id"]


def test_cors_is_off_by_default_and_configurable(live_factory: LiveFactory) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    with live_factory() as live, httpx.Client(base_url=live.base_url) as c:
        assert "access-control-allow-origin" not in c.options("/fal/proxy", headers=preflight).headers
    with (
        live_factory(cors_origins=["https://app.example"]) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        allowed = c.options("/fal/proxy", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
