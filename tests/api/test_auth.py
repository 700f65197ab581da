"""Optional API keys: 401 without a valid key, per-key isolation of requests and files."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ENDPOINT, LiveFactory
from tests.api.test_sync import data_uri
from tests.fakes.live import Live, wait_until

K1 = {"Authorization": "Key key-one"}
K2 = {"Authorization": "Bearer key-two"}


@pytest.fixture
def secured(live_factory: LiveFactory, tmp_path: Path):  # type: ignore[no-untyped-def]
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("# comment\nkey-two\n")
    with live_factory(api_keys=["key-one"], api_keys_file=keys_file) as live:
        wait_until(lambda: httpx.get(f"{live.base_url}/ready").status_code == 200)
        yield live


def test_missing_or_wrong_key_is_401(secured: Live) -> None:
    with httpx.Client(base_url=secured.base_url) as c:
        for headers in ({}, {"Authorization": "Key wrong"}):
            response = c.post(f"/queue/{ENDPOINT}", json={}, headers=headers)
            assert response.status_code == 401
            assert isinstance(response.json()["detail"], str)
        assert c.get("/v1/models").status_code == 401
        assert c.post("/rest/storage/auth/token", json={}).status_code == 401
        assert c.post("/cdn/files/upload", content=b"x").status_code == 401
        for open_path in ("/health", "/ready", "/metrics", "/.well-known/jwks.json"):
            assert c.get(open_path).status_code == 200, open_path


def test_keys_see_only_their_own_requests_and_files(secured: Live, sample_mp4: Path) -> None:
    with httpx.Client(base_url=secured.base_url, timeout=30) as c:
        body = {"prompt": "mine", "video_url": data_uri(sample_mp4)}
        job = c.post(f"/queue/{ENDPOINT}", json=body, headers=K1).json()
        wait_until(lambda: c.get(job["status_url"], headers=K1).status_code == 200)
        assert c.get(job["status_url"], headers=K2).status_code == 404
        assert c.get(job["response_url"], headers=K2).status_code == 404
        assert c.put(job["cancel_url"], headers=K2).status_code == 404
        video = c.get(job["response_url"], headers=K1).json()["video"]["url"]
        assert c.get(video, headers=K1).status_code == 200
        assert c.get(video, headers=K2).status_code == 404
        assert c.get(video).status_code == 401
        # another key cannot use my file as an input either
        theirs = c.post(f"/{ENDPOINT}", json={"prompt": "x", "video_url": video}, headers=K2)
        assert theirs.status_code == 422
        assert theirs.json()["detail"][0]["loc"] == ["body", "video_url"]
        mine = c.post(f"/{ENDPOINT}", json={"prompt": "x", "video_url": video}, headers=K1)
        assert mine.status_code == 200


def test_upload_token_uploads_are_owned_by_the_key(secured: Live) -> None:
    with httpx.Client(base_url=secured.base_url) as c:
        token = c.post("/rest/storage/auth/token", json={}, headers=K1).json()
        url = c.post(
            "/cdn/files/upload",
            content=b"data",
            headers={"Authorization": f"Bearer {token['token']}", "Content-Type": "text/plain"},
        ).json()["access_url"]
        assert c.get(url, headers=K1).text == "data"
        assert c.get(url, headers=K2).status_code == 404
