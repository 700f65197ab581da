"""The real Python `fal_client` against a live ltx-serve, redirected as the README client section says."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import fal_client
import fal_client.client as fal_urls
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.clients.conftest import DOC_BASE, doc_snippet
from tests.fakes.engine import FakeEngine
from tests.fakes.live import Live, wait_until

ENDPOINT = "fal-ai/ltx-2.3-22b/video-to-video"


@pytest.fixture
def redirected(live: Live, monkeypatch: pytest.MonkeyPatch) -> fal_client.SyncClient:
    """Option A of the README client section, applied with monkeypatch so other tests are untouched."""
    monkeypatch.setattr(fal_urls, "RUN_URL_FORMAT", f"{live.base_url}/run/")
    monkeypatch.setattr(fal_urls, "QUEUE_URL_FORMAT", f"{live.base_url}/queue/")
    monkeypatch.setattr(fal_urls, "REST_URL", f"{live.base_url}/rest")
    monkeypatch.setattr(fal_urls, "CDN_URL", f"{live.base_url}/cdn")
    wait_until(lambda: httpx.get(f"{live.base_url}/ready").status_code == 200)
    return fal_client.SyncClient(key="any-key")


def test_run_and_upload_file(redirected: fal_client.SyncClient, input_mp4: Path) -> None:
    url = redirected.upload_file(input_mp4)
    assert "/files/" in url
    assert httpx.get(url).content == input_mp4.read_bytes()
    out = redirected.run(ENDPOINT, {"prompt": "a fox", "video_url": url, "num_frames": 9})
    assert out["prompt"] == "a fox"
    assert out["video"]["num_frames"] == 9
    assert httpx.get(out["video"]["url"]).status_code == 200


def test_subscribe_reports_queue_updates_and_logs(redirected: fal_client.SyncClient, input_mp4: Path) -> None:
    updates: list[fal_client.Status] = []
    out = redirected.subscribe(
        ENDPOINT,
        {"prompt": "p", "video_url": fal_client.encode_file(input_mp4)},
        with_logs=True,
        on_queue_update=updates.append,
    )
    assert out["video"]["url"]
    assert isinstance(updates[-1], fal_client.Completed)
    assert any(isinstance(u, fal_client.InProgress) for u in updates)
    logged = [log["message"] for u in updates if getattr(u, "logs", None) for log in u.logs]
    assert "step 3/3" in logged
    assert updates[-1].metrics["inference_time"] > 0


def test_submit_status_result_cancel(
    redirected: fal_client.SyncClient, input_mp4: Path, engine: FakeEngine
) -> None:
    video = fal_client.encode_file(input_mp4)
    handle = redirected.submit(ENDPOINT, {"prompt": "p", "video_url": video})
    assert redirected.result(ENDPOINT, handle.request_id)["prompt"] == "p"
    assert isinstance(redirected.status(ENDPOINT, handle.request_id), fal_client.Completed)

    engine.steps = 50
    try:
        slow = redirected.submit(ENDPOINT, {"prompt": "slow", "video_url": video})
        wait_until(lambda: not isinstance(slow.status(), fal_client.Queued))
        redirected.cancel(ENDPOINT, slow.request_id)
        with pytest.raises(fal_client.FalClientHTTPError) as info:
            slow.get()
        assert info.value.status_code == 499
    finally:
        engine.steps = 3


def test_validation_errors_surface_as_fal_client_errors(redirected: fal_client.SyncClient) -> None:
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        redirected.run(ENDPOINT, {"prompt": "missing video"})
    assert info.value.status_code == 422
    assert info.value.message[0]["loc"] == ["body", "video_url"]


def test_multipart_upload(
    redirected: fal_client.SyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fal_client switches to multipart above 100 MB; shrink the threshold to test the path."""
    monkeypatch.setattr(fal_urls, "MULTIPART_THRESHOLD", 1024)
    monkeypatch.setattr(fal_urls, "MULTIPART_CHUNK_SIZE", 1000)
    data = os.urandom(4500)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    url = redirected.upload_file(path)
    assert httpx.get(url).content == data


class _Hooks(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        _Hooks.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def webhook_listener() -> Iterator[str]:
    _Hooks.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_webhook_is_delivered_and_signature_verifies_against_jwks(
    redirected: fal_client.SyncClient, live: Live, input_mp4: Path, webhook_listener: str
) -> None:
    handle = redirected.submit(
        ENDPOINT,
        {"prompt": "hook", "video_url": fal_client.encode_file(input_mp4)},
        webhook_url=webhook_listener,
    )
    wait_until(lambda: len(_Hooks.received) == 1, timeout=30)
    headers, body = _Hooks.received[0]
    payload = json.loads(body)
    assert payload["request_id"] == handle.request_id and payload["status"] == "OK"
    assert payload["gateway_request_id"] == handle.request_id
    assert payload["payload"]["prompt"] == "hook"
    headers = {k.lower(): v for k, v in headers.items()}
    assert abs(int(headers["x-fal-webhook-timestamp"]) - time.time()) < 300
    message = "\n".join(
        [
            headers["x-fal-webhook-request-id"],
            headers["x-fal-webhook-user-id"],
            headers["x-fal-webhook-timestamp"],
            hashlib.sha256(body).hexdigest(),
        ]
    ).encode()
    jwks = httpx.get(f"{live.base_url}/.well-known/jwks.json").json()
    (key,) = jwks["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    public = Ed25519PublicKey.from_public_bytes(_b64url(key["x"]))
    public.verify(bytes.fromhex(headers["x-fal-webhook-signature"]), message)  # raises if invalid


def test_failed_job_webhook_reports_error(redirected: fal_client.SyncClient, webhook_listener: str) -> None:
    redirected.submit(
        ENDPOINT, {"prompt": "p", "video_url": "http://127.0.0.1:9/x.mp4"}, webhook_url=webhook_listener
    )
    wait_until(lambda: len(_Hooks.received) == 1, timeout=30)
    payload = json.loads(_Hooks.received[0][1])
    assert payload["status"] == "ERROR"
    assert payload["error"] == "Invalid status code: 422"
    assert payload["payload"]["detail"][0]["loc"] == ["body", "video_url"]


def _run_script(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docs_python_redirect_snippet_runs(live: Live, input_mp4: Path) -> None:
    code = doc_snippet("python-redirect").replace(DOC_BASE, live.base_url)
    result = _run_script(code, {"FAL_KEY": "anything"}, cwd=input_mp4.parent)
    assert result.returncode == 0, result.stderr
    assert f"{live.base_url}/files/" in result.stdout
    assert "Completed(" in result.stdout


def test_docs_env_and_tls_snippet_runs(tls_live: tuple[Live, Path], input_mp4: Path) -> None:
    server, cert = tls_live
    script = doc_snippet("python-env")
    script = script.replace("localhost:8443", f"localhost:{server.port}")
    script = script.replace("/path/to/ltx-serve-cert.pem", str(cert))
    video = fal_client.encode_file(input_mp4)
    script = script.replace("https://example.com/in.mp4", video)
    trust = ssl.create_default_context(cafile=str(cert))
    wait_until(lambda: httpx.get(f"{server.base_url}/ready", verify=trust).status_code == 200)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(f"https://localhost:{server.port}/files/")


def test_upload_via_storage_initiate_repository(redirected: fal_client.SyncClient) -> None:
    """The `fal` repository (fal_client's fallback): initiate + raw PUT."""
    url = redirected.upload(b"fallback bytes", "text/plain", file_name="f.txt", repository="fal")
    assert url.endswith("/f.txt")
    assert httpx.get(url).text == "fallback bytes"
