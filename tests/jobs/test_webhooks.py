"""Webhook delivery: fal's body, retries with backoff, SSRF policy, stable signing key."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ltx_serve.jobs.models import Job, JobStatus
from ltx_serve.jobs.webhooks import WebhookPolicy, WebhookSender, WebhookSigner, webhook_body


class Flaky(BaseHTTPRequestHandler):
    fail_first = 0
    calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        Flaky.calls += 1
        self.send_response(500 if Flaky.calls <= Flaky.fail_first else 204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def hook_url() -> Iterator[str]:
    Flaky.calls = 0
    server = HTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def job(url: str | None, status: int = 200) -> Job:
    return Job(
        request_id="r1",
        endpoint_id="e/a",
        payload={},
        owner="",
        base_url="",
        webhook_url=url,
        sync_mode=False,
        status=JobStatus.COMPLETED,
        created_at=0.0,
        result_status=status,
        result_body={"detail": "bad"} if status >= 400 else {"video": {}},
    )


def sender(tmp_path: Path, **policy: object) -> WebhookSender:
    values = {"backoff_s": 0.0, "allow_private": True, **policy}
    return WebhookSender(WebhookSigner(tmp_path), WebhookPolicy(**values))  # type: ignore[arg-type]


def test_retries_until_success(tmp_path: Path, hook_url: str) -> None:
    Flaky.fail_first = 3
    assert sender(tmp_path).deliver(job(hook_url)) is True
    assert Flaky.calls == 4


def test_gives_up_after_max_attempts(tmp_path: Path, hook_url: str) -> None:
    Flaky.fail_first = 100
    assert sender(tmp_path, max_attempts=3).deliver(job(hook_url)) is False
    assert Flaky.calls == 3


def test_private_targets_refused_unless_allowed(tmp_path: Path, hook_url: str) -> None:
    Flaky.fail_first = 0
    assert sender(tmp_path, allow_private=False).deliver(job(hook_url)) is False
    assert Flaky.calls == 0


def test_error_body_shape() -> None:
    body = webhook_body(job("http://x", status=422))
    assert body == {
        "request_id": "r1",
        "gateway_request_id": "r1",
        "status": "ERROR",
        "payload": {"detail": "bad"},
        "error": "Invalid status code: 422",
    }


def test_key_is_persisted_and_signature_verifies(tmp_path: Path) -> None:
    first, second = WebhookSigner(tmp_path), WebhookSigner(tmp_path)
    assert first.jwks() == second.jwks()
    headers = first.headers("r1", "u1", b"{}", timestamp=123)
    message = f"r1\nu1\n123\n{hashlib.sha256(b'{}').hexdigest()}".encode()
    import base64

    x = first.jwks()["keys"][0]["x"]
    key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    key.verify(bytes.fromhex(headers["X-Fal-Webhook-Signature"]), message)
