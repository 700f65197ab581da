"""/fal/proxy dispatch on x-fal-target-url (the JS client's proxyUrl), without node."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.conftest import ENDPOINT, wait_ready
from tests.api.test_sync import data_uri


def test_missing_target_header_is_400(client: httpx.Client) -> None:
    response = client.post("/fal/proxy", json={})
    assert response.status_code == 400 and response.json() == {"detail": "Invalid request"}


def test_non_fal_target_is_refused(client: httpx.Client) -> None:
    response = client.get("/fal/proxy", headers={"x-fal-target-url": "https://evil.example/x"})
    assert response.status_code == 412


def test_proxy_dispatches_run_queue_and_storage(client: httpx.Client, sample_mp4: Path) -> None:
    wait_ready(client)
    body = {"prompt": "proxied", "video_url": data_uri(sample_mp4)}
    ran = client.post("/fal/proxy", json=body, headers={"x-fal-target-url": f"https://fal.run/{ENDPOINT}"})
    assert ran.status_code == 200 and ran.json()["prompt"] == "proxied"
    submitted = client.post(
        "/fal/proxy",
        json=body,
        headers={"x-fal-target-url": f"https://queue.fal.run/{ENDPOINT}?fal_webhook="},
    ).json()
    status = client.get(
        "/fal/proxy",
        headers={
            "x-fal-target-url": f"https://queue.fal.run/fal-ai/ltx-2.3-22b/requests/{submitted['request_id']}/status?logs=1"
        },
    )
    assert status.status_code in (200, 202) and status.json()["request_id"] == submitted["request_id"]
    init = client.post(
        "/fal/proxy",
        json={"file_name": "a.txt", "content_type": "text/plain"},
        headers={"x-fal-target-url": "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3"},
    )
    assert init.status_code == 200 and "upload_url" in init.json()
