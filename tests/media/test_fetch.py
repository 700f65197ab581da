"""`media.fetch`: SSRF-safe downloads, data URIs, this server's own /files/ URLs."""

from __future__ import annotations

import base64
import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ltx_serve.errors import FieldError
from ltx_serve.media import fetch as fetch_mod
from ltx_serve.media.fetch import Fetcher, FetchPolicy


class Routes(BaseHTTPRequestHandler):
    """`/ok` 1 KiB, `/big` 64 KiB, `/flaky` 503 then 200, `/gone` 404, `/redirect?to=URL`."""

    hits: dict[str, int] = {}

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        Routes.hits[path] = Routes.hits.get(path, 0) + 1
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query.removeprefix("to="))
            self.end_headers()
            return
        if path == "/flaky" and Routes.hits[path] == 1:
            self.send_response(503)
            self.end_headers()
            return
        if path == "/gone":
            self.send_response(404)
            self.end_headers()
            return
        body = b"x" * (65536 if path == "/big" else 1024)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@contextmanager
def _serve(host: str) -> Iterator[str]:
    Routes.hits = {}
    server = ThreadingHTTPServer((host, 0), Routes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def origin() -> Iterator[str]:
    with _serve("127.0.0.1") as url:
        yield url


def fetcher(**policy: object) -> Fetcher:
    return Fetcher(FetchPolicy(**{"retry_wait_s": 0.01, **policy}))  # type: ignore[arg-type]


def test_loopback_urls_are_refused_by_default(origin: str, tmp_path: Path) -> None:
    with pytest.raises(FieldError) as info:
        fetcher().fetch(f"{origin}/ok", "video_url", tmp_path)
    assert info.value.errors[0]["loc"] == ["body", "video_url"]
    assert "non-public address" in info.value.errors[0]["msg"]
    assert Routes.hits == {}


@pytest.mark.parametrize(
    "host", ["10.1.2.3", "169.254.169.254", "192.168.0.1", "[::1]", "0.0.0.0", "224.0.0.1"]
)
def test_private_link_local_and_special_addresses_are_refused(host: str, tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="non-public"):
        fetcher().fetch(f"http://{host}/x.mp4", "image_url", tmp_path)


def test_allowed_private_download_keeps_bytes(origin: str, tmp_path: Path) -> None:
    path = fetcher(allow_private=True).fetch(f"{origin}/ok", "video_url", tmp_path)
    assert path.read_bytes() == b"x" * 1024
    assert path.suffix == ".mp4" and path.parent == tmp_path


def test_redirects_are_rechecked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A 'public' first hop that redirects to loopback is refused at the redirect."""
    real = fetch_mod._is_public
    monkeypatch.setattr(fetch_mod, "_is_public", lambda a: a == ipaddress.ip_address("127.0.0.2") or real(a))
    with _serve("127.0.0.2") as public, _serve("127.0.0.1") as internal:
        with pytest.raises(FieldError, match="non-public"):
            fetcher().fetch(f"{public}/redirect?to={internal}/ok", "video_url", tmp_path)
        assert "/ok" not in Routes.hits and Routes.hits["/redirect"] == 1
        # the same redirect is followed when private targets are allowed
        ok = fetcher(allow_private=True).fetch(f"{public}/redirect?to={internal}/ok", "video_url", tmp_path)
        assert ok.stat().st_size == 1024


def test_size_cap(origin: str, tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="limit"):
        fetcher(allow_private=True, max_bytes=4096).fetch(f"{origin}/big", "video_url", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_transient_errors_are_retried_but_404_is_not(origin: str, tmp_path: Path) -> None:
    f = fetcher(allow_private=True, retries=3)
    assert f.fetch(f"{origin}/flaky", "video_url", tmp_path).stat().st_size == 1024
    assert Routes.hits["/flaky"] == 2
    with pytest.raises(FieldError, match="HTTP 404"):
        f.fetch(f"{origin}/gone", "video_url", tmp_path)
    assert Routes.hits["/gone"] == 1


def test_connection_refused_is_a_field_error(tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="Could not download"):
        fetcher(allow_private=True, retries=2).fetch("http://127.0.0.1:9/x.mp4", "audio_url", tmp_path)


def test_data_uri(tmp_path: Path) -> None:
    payload = b"\x00\x01video"
    uri = "data:video/mp4;base64," + base64.b64encode(payload).decode()
    path = fetcher().fetch(uri, "video_url", tmp_path)
    assert path.read_bytes() == payload and path.suffix == ".mp4"
    with pytest.raises(FieldError, match="larger"):
        fetcher(max_bytes=4).fetch(uri, "video_url", tmp_path)


def test_unsupported_scheme(tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="Unsupported URL"):
        fetcher().fetch("ftp://example.com/x.mp4", "video_url", tmp_path)


def test_own_files_urls_are_read_locally_whatever_the_host(tmp_path: Path) -> None:
    stored = tmp_path / "stored.mp4"
    stored.write_bytes(b"local")
    file_id = "a" * 32
    f = Fetcher(FetchPolicy(), local_lookup=lambda fid: stored if fid == file_id else None)
    for host in ("http://localhost:8000", "https://ltx.internal.example", "http://10.0.0.5:9000"):
        assert f.fetch(f"{host}/files/{file_id}/clip.mp4", "video_url", tmp_path) == stored
    with pytest.raises(FieldError):  # unknown id on a private host: a normal (refused) fetch
        f.fetch(f"http://10.0.0.5/files/{'b' * 32}/x.mp4", "video_url", tmp_path)
