"""Sync calls (`fal.run`): output JSON + request id, fal-shaped errors, disconnect cancels."""

from __future__ import annotations

import base64
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import av
import httpx
import pytest

from tests.api.conftest import ENDPOINT, LiveFactory, wait_ready
from tests.fakes.engine import FakeEngine
from tests.fakes.live import wait_until


def data_uri(path: Path) -> str:
    return "data:video/mp4;base64," + base64.b64encode(path.read_bytes()).decode()


@pytest.mark.parametrize("prefix", ["", "/run"])
def test_sync_run_returns_output_with_a_playable_video(
    client: httpx.Client, sample_mp4: Path, prefix: str, tmp_path: Path
) -> None:
    wait_ready(client)
    body = {"prompt": "a cat", "video_url": data_uri(sample_mp4), "num_frames": 9, "fps": 12, "seed": 7}
    response = client.post(f"{prefix}/{ENDPOINT}", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["x-fal-request-id"]
    out = response.json()
    assert out["seed"] == 7 and out["prompt"] == "a cat"
    video = out["video"]
    assert video["num_frames"] == 9 and video["fps"] == 12
    assert video["content_type"] == "video/mp4"
    download = client.get(video["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert len(download.content) == video["file_size"]
    (tmp_path / "out.mp4").write_bytes(download.content)
    with av.open(str(tmp_path / "out.mp4")) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 9


def test_validation_error_is_fal_422_and_not_billed(client: httpx.Client) -> None:
    response = client.post(f"/{ENDPOINT}", json={"prompt": "no video"})
    assert response.status_code == 422
    assert response.headers["x-fal-billable-units"] == "0"
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert detail[0]["loc"] == ["body", "video_url"]
    assert {"msg", "type"} <= set(detail[0])


def test_bad_media_url_is_a_422_naming_the_field(client: httpx.Client) -> None:
    wait_ready(client)
    url = "http://127.0.0.1:9/missing.mp4"  # nothing listens on the discard port
    response = client.post(f"/{ENDPOINT}", json={"prompt": "x", "video_url": url})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "video_url"]
    assert response.headers["x-fal-request-id"]


@pytest.mark.parametrize("prefix", ["", "/run", "/queue"])
def test_unknown_endpoint_is_404_naming_the_served_ones(client: httpx.Client, prefix: str) -> None:
    response = client.post(f"{prefix}/fal-ai/not-a-model", json={})
    assert response.status_code == 404
    assert ENDPOINT in response.json()["detail"]


def test_engine_crash_is_500_and_job_record_survives(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    response = client.post(
        f"/{ENDPOINT}", json={"prompt": "please explode", "video_url": data_uri(sample_mp4)}
    )
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    request_id = response.headers["x-fal-request-id"]
    status = client.get(f"/queue/fal-ai/ltx-2.3-22b/requests/{request_id}/status")
    assert status.status_code == 200
    assert status.json()["status"] == "COMPLETED"
    assert status.json()["error_type"] == "internal_error"
    replay = client.get(f"/queue/fal-ai/ltx-2.3-22b/requests/{request_id}")
    assert replay.status_code == 500


def test_client_disconnect_cancels_the_job(live_factory: LiveFactory, sample_mp4: Path) -> None:
    engine = FakeEngine(steps=200, step_delay=0.05)
    with live_factory(engine=engine) as live, httpx.Client(base_url=live.base_url) as client:
        wait_ready(client)
        host, port = urlsplit(live.base_url).hostname, urlsplit(live.base_url).port
        body = httpx.Request("POST", "/", json={"prompt": "slow", "video_url": data_uri(sample_mp4)}).read()
        raw = (
            f"POST /{ENDPOINT} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        sock = socket.create_connection((host, port))
        sock.sendall(raw)
        wait_until(lambda: len(engine.calls) == 1)
        request_id = engine.calls[0]
        sock.close()
        status_url = f"/queue/fal-ai/ltx-2.3-22b/requests/{request_id}/status"
        wait_until(lambda: client.get(status_url).json()["status"] == "COMPLETED", timeout=10)
        assert client.get(f"/queue/fal-ai/ltx-2.3-22b/requests/{request_id}").status_code == 499
        started = time.monotonic()
        # The worker is free again: a new job runs at once.
        engine.steps, engine.step_delay = 1, 0.0
        ok = client.post(
            f"/{ENDPOINT}", json={"prompt": "next", "video_url": data_uri(sample_mp4)}, timeout=30
        )
        assert ok.status_code == 200
        assert time.monotonic() - started < 10


def test_unexpected_route_error_is_500_detail(
    live, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("store exploded")

    monkeypatch.setattr(live.app.state.jobs, "get_for", boom)
    response = client.get("/queue/fal-ai/ltx-2.3-22b/requests/abc/status")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
