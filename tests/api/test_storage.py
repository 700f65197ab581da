"""Storage routes, in the exact shapes the fal clients expect, and /files/ serving."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.api.conftest import LiveFactory


def test_token_has_fal_shape_and_plus_zero_offset(client: httpx.Client, live) -> None:
    token = client.post("/rest/storage/auth/token", params={"storage_type": "fal-cdn-v3"}, json={}).json()
    assert set(token) == {"token", "token_type", "base_url", "expires_at"}
    assert token["expires_at"].endswith("+00:00")
    assert datetime.fromisoformat(token["expires_at"]) > datetime.now(UTC)
    assert token["base_url"] == f"{live.base_url}/cdn"


def test_initiate_put_then_serve_with_range(client: httpx.Client) -> None:
    data = bytes(range(256)) * 4
    init = client.post(
        "/rest/storage/upload/initiate", json={"file_name": "a.mp4", "content_type": "video/mp4"}
    )
    assert set(init.json()) == {"upload_url", "file_url"}
    assert client.put(init.json()["upload_url"], content=data).status_code == 200
    url = init.json()["file_url"]
    full = client.get(url)
    assert full.content == data and full.headers["content-type"] == "video/mp4"
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert client.get(url.rsplit("/", 1)[0]).content == data  # /files/{id} without the name
    head = client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data)) and not head.content


def test_js_multipart_parts_answer_etag_header_and_json(client: httpx.Client) -> None:
    init = client.post(
        "/rest/storage/upload/initiate-multipart", json={"file_name": "b.bin", "content_type": "x/y"}
    )
    upload_url = init.json()["upload_url"]
    parts = []
    for n, chunk in ((1, b"hello "), (2, b"world")):
        response = client.put(f"{upload_url}/{n}", content=chunk)
        assert response.status_code == 200
        assert response.json() == {"partNumber": n, "etag": response.headers["etag"]}
        parts.append(response.json())
    assert client.post(f"{upload_url}/complete", json={"parts": parts}).status_code == 200
    assert client.get(init.json()["file_url"]).content == b"hello world"


def test_cdn_upload_with_token(client: httpx.Client) -> None:
    token = client.post("/rest/storage/auth/token", json={}).json()
    auth = {"Authorization": f"{token['token_type']} {token['token']}"}
    response = client.post(
        "/cdn/files/upload",
        content=b"abc",
        headers={**auth, "Content-Type": "text/plain", "X-Fal-File-Name": "note.txt"},
    )
    url = response.json()["access_url"]
    assert url.endswith("/note.txt")
    fetched = client.get(url)
    assert fetched.text == "abc" and fetched.headers["content-type"].startswith("text/plain")


def test_upload_cap_is_413(live_factory: LiveFactory) -> None:
    with live_factory(upload_max_bytes=100) as live, httpx.Client(base_url=live.base_url) as client:
        response = client.post(
            "/cdn/files/upload", content=b"x" * 101, headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 413
        assert "at most 100" in response.json()["detail"]


def test_unknown_file_and_upload_are_404(client: httpx.Client) -> None:
    assert client.get(f"/files/{'0' * 32}/x.mp4").status_code == 404
    assert client.put(f"/rest/storage/uploads/{'0' * 32}", content=b"x").status_code == 404
