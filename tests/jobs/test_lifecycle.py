"""Server-level job lifecycle: restarts lose nothing, shutdown is graceful, retention expires."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx

from ltx_serve.app import create_app
from ltx_serve.jobs.models import NewJob
from ltx_serve.jobs.sqlite import SqliteJobs
from tests.api.conftest import ENDPOINT, make_settings, wait_ready
from tests.fakes.engine import FakeEngine, write_mp4
from tests.fakes.live import serve_in_thread, wait_until

APP = "fal-ai/ltx-2.3-22b"


def _payload(tmp_path: Path) -> dict:
    write_mp4(tmp_path / "in.mp4", 32, 32, 3, 8, seed=1)
    uri = "data:video/mp4;base64," + base64.b64encode((tmp_path / "in.mp4").read_bytes()).decode()
    return {"prompt": "p", "video_url": uri, "num_frames": 9}


def test_restart_runs_interrupted_and_queued_jobs_and_keeps_results(tmp_path: Path) -> None:
    data = tmp_path / "data"
    payload = _payload(tmp_path)
    jobs = SqliteJobs(data / "jobs.sqlite3")
    for rid in ("running", "queued"):
        jobs.submit(NewJob(request_id=rid, endpoint_id=ENDPOINT, payload=payload, base_url="http://x"))
    jobs.claim_next(0.1)  # "running" was in progress when the process died
    jobs.close()

    engine = FakeEngine()
    with (
        serve_in_thread(create_app(make_settings(data), engine)) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        wait_until(lambda: c.get(f"/queue/{APP}/requests/queued/status").status_code == 200)
        assert engine.calls == ["running", "queued"]
        first = c.get(f"/queue/{APP}/requests/running").json()
    # a second restart still has the finished results
    with (
        serve_in_thread(create_app(make_settings(data), FakeEngine())) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        assert c.get(f"/queue/{APP}/requests/running").json() == first
        assert c.get(first["video"]["url"].replace("http://x", live.base_url)).status_code == 200


def test_shutdown_lets_running_job_finish_within_grace(tmp_path: Path) -> None:
    engine = FakeEngine(steps=5, step_delay=0.1)
    settings = make_settings(tmp_path / "data", shutdown_grace_s=10)
    with serve_in_thread(create_app(settings, engine)) as live, httpx.Client(base_url=live.base_url) as c:
        wait_ready(c)
        job = c.post(f"/queue/{ENDPOINT}", json=_payload(tmp_path)).json()
        wait_until(lambda: len(engine.calls) == 1)
    jobs = SqliteJobs(tmp_path / "data" / "jobs.sqlite3")
    done = jobs.get(job["request_id"])
    assert done is not None and done.result_status == 200


def test_shutdown_past_grace_cancels_and_requeues(tmp_path: Path) -> None:
    engine = FakeEngine(steps=400, step_delay=0.05)
    settings = make_settings(tmp_path / "data", shutdown_grace_s=0.3)
    started = time.monotonic()
    with serve_in_thread(create_app(settings, engine)) as live, httpx.Client(base_url=live.base_url) as c:
        wait_ready(c)
        job = c.post(f"/queue/{ENDPOINT}", json=_payload(tmp_path)).json()
        wait_until(lambda: len(engine.calls) == 1)
    assert time.monotonic() - started < 15
    jobs = SqliteJobs(tmp_path / "data" / "jobs.sqlite3")
    interrupted = jobs.get(job["request_id"])
    assert interrupted is not None and interrupted.status == "IN_QUEUE"  # runs again on the next start


def test_retention_expires_results_and_files(tmp_path: Path) -> None:
    with (
        serve_in_thread(create_app(make_settings(tmp_path / "data"), FakeEngine())) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        wait_ready(c)
        out = c.post(f"/{ENDPOINT}", json=_payload(tmp_path))
        rid = out.headers["x-fal-request-id"]
        service = live.app.state.jobs
        assert service.expire(time.time() + 1) >= 1
        gone = c.get(f"/queue/{APP}/requests/{rid}")
        assert gone.status_code == 404 and "expired" in gone.json()["detail"]
        assert c.get(out.json()["video"]["url"]).status_code == 404


def test_unsettled_webhooks_are_resent_after_restart(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    data = tmp_path / "data"
    jobs = SqliteJobs(data / "jobs.sqlite3")
    jobs.submit(NewJob(request_id="done", endpoint_id=ENDPOINT, payload={}, webhook_url=url))
    jobs.claim_next(0.1)
    from ltx_serve.jobs.models import JobOutcome

    jobs.finish("done", JobOutcome(200, {"video": {"url": "x"}}))
    jobs.close()
    try:
        with serve_in_thread(create_app(make_settings(data), FakeEngine())) as live:
            wait_until(lambda: len(received) == 1)
            wait_until(lambda: live.app.state.jobs.jobs.pending_webhooks() == [])
        with serve_in_thread(create_app(make_settings(data), FakeEngine())):
            time.sleep(0.3)
        assert len(received) == 1  # settled: not sent again
    finally:
        server.shutdown()


def test_upgrade_keeps_old_results_and_bills_new_jobs(tmp_path: Path) -> None:
    """A data dir written before megapixels were stored: its finished job still answers (no
    megapixels to report, so no billing header), and its queued job runs and is billed."""
    from tests.jobs.test_sqlite import _old_data_dir

    data = tmp_path / "data"
    data.mkdir()
    _old_data_dir(data / "jobs.sqlite3", queued_payload=_payload(tmp_path))
    with (
        serve_in_thread(create_app(make_settings(data), FakeEngine())) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        old = c.get(f"/queue/{APP}/requests/old")
        assert old.status_code == 200 and old.json() == {"ok": 1}
        assert "x-fal-billable-units" not in old.headers
        old_status = c.get(f"/queue/{APP}/requests/old/status").json()
        assert set(old_status["metrics"]) == {"inference_time"}
        wait_until(lambda: c.get(f"/queue/{APP}/requests/q/status").status_code == 200)
        queued = c.get(f"/queue/{APP}/requests/q")
        assert queued.status_code == 200 and queued.headers["x-fal-billable-units"] == "1"
        metrics = c.get(f"/queue/{APP}/requests/q/status").json()["metrics"]
        video = queued.json()["video"]
        assert metrics["megapixels"] == video["width"] * video["height"] * video["num_frames"] / 1e6
