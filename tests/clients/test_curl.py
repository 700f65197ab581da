"""Plain HTTP clients: the curl snippet of the README client section, and the same flow with httpx."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.clients.conftest import DOC_BASE, doc_snippet
from tests.fakes.live import Live, wait_until

ENDPOINT = "fal-ai/ltx-2.3-22b/video-to-video"


def _upload(live: Live, path: Path) -> str:
    init = httpx.post(
        f"{live.base_url}/rest/storage/upload/initiate",
        json={"file_name": path.name, "content_type": "video/mp4"},
        headers={"Authorization": "Key anything"},
    ).json()
    assert httpx.put(init["upload_url"], content=path.read_bytes()).status_code == 200
    return init["file_url"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_docs_curl_snippet_runs(live: Live, input_mp4: Path) -> None:
    wait_until(lambda: httpx.get(f"{live.base_url}/ready").status_code == 200)
    script = doc_snippet("curl").replace(DOC_BASE, live.base_url)
    env = {**os.environ, "FAL_KEY": "anything", "VIDEO_URL": _upload(live, input_mp4)}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["prompt"] == "a cowboy"
    assert output["video"]["url"].startswith(f"{live.base_url}/files/")


def test_httpx_sync_and_queue_flow(live: Live, input_mp4: Path) -> None:
    wait_until(lambda: httpx.get(f"{live.base_url}/ready").status_code == 200)
    video_url = _upload(live, input_mp4)
    with httpx.Client(base_url=live.base_url, headers={"Authorization": "Key anything"}, timeout=60) as http:
        sync = http.post(f"/run/{ENDPOINT}", json={"prompt": "sync", "video_url": video_url})
        assert sync.status_code == 200 and sync.json()["prompt"] == "sync"
        submitted = http.post(f"/queue/{ENDPOINT}", json={"prompt": "queued", "video_url": video_url}).json()
        wait_until(lambda: http.get(submitted["status_url"]).json()["status"] == "COMPLETED")
        result = http.get(submitted["response_url"])
        assert result.json()["prompt"] == "queued"
        assert result.headers["x-fal-request-id"] == submitted["request_id"]
