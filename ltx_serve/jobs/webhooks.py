"""fal-compatible webhooks: body shape, Ed25519 signature headers, retries.

Verifiers written for fal (`X-Fal-Webhook-*` headers, hex Ed25519 over
`request_id\\nuser_id\\ntimestamp\\nsha256_hex(body)`, keys from a JWKS) work unchanged once
pointed at this server's `/.well-known/jwks.json`. The private key is generated once and kept
in the data directory so signatures stay verifiable across restarts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ltx_serve.jobs.models import Job
from ltx_serve.media.fetch import UnsafeUrl, check_url_target

logger = logging.getLogger(__name__)


class WebhookSigner:
    """Loads (or creates) the server's Ed25519 key and signs deliveries."""

    def __init__(self, data_dir: Path) -> None:
        path = Path(data_dir) / "webhook_ed25519.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key; delete it to have a new one made.")
        self._key = key
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_x = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        self.kid = hashlib.sha256(raw).hexdigest()[:16]

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": self.public_x,
                    "kid": self.kid,
                    "use": "sig",
                    "alg": "EdDSA",
                }
            ]
        }

    def headers(
        self, request_id: str, user_id: str, body: bytes, timestamp: int | None = None
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        message = "\n".join([request_id, user_id, ts, hashlib.sha256(body).hexdigest()]).encode("utf-8")
        return {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": ts,
            "X-Fal-Webhook-Signature": self._key.sign(message).hex(),
        }


def webhook_body(job: Job) -> dict[str, Any]:
    """fal's delivery body: OK with the output, or ERROR with the replayed error body."""
    body: dict[str, Any] = {
        "request_id": job.request_id,
        "gateway_request_id": job.request_id,
        "status": "OK" if job.result_status is not None and job.result_status < 400 else "ERROR",
        "payload": job.result_body,
    }
    if body["status"] == "ERROR":
        body["error"] = f"Invalid status code: {job.result_status}"
    return body


class _RetryableDelivery(Exception):
    pass


@dataclass(frozen=True)
class WebhookPolicy:
    max_attempts: int = 10
    backoff_s: float = 5.0
    backoff_max_s: float = 1800.0
    timeout_s: float = 15.0
    allow_private: bool = False


class WebhookSender:
    """Delivers webhooks off the GPU thread, retrying with exponential backoff."""

    def __init__(
        self,
        signer: WebhookSigner,
        policy: WebhookPolicy,
        on_settled: Callable[[str], None] | None = None,
    ) -> None:
        self.signer = signer
        self.policy = policy
        # Called once a delivery succeeded or gave up, so a restart does not resend it.
        self.on_settled = on_settled
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ltx-webhook")

    def send_async(self, job: Job) -> None:
        if job.webhook_url:
            self._pool.submit(self._deliver_and_settle, job)

    def _deliver_and_settle(self, job: Job) -> None:
        self.deliver(job)
        if self.on_settled is not None:
            try:
                self.on_settled(job.request_id)
            except Exception:
                logger.exception("could not record webhook delivery of %s", job.request_id)

    def deliver(self, job: Job) -> bool:
        """POST the webhook; True once a 2xx came back, False after the last attempt."""
        url = job.webhook_url
        if not url:
            return False
        body = json.dumps(webhook_body(job)).encode("utf-8")
        user_id = job.owner or "local"
        try:
            check_url_target(url, self.policy.allow_private)
        except UnsafeUrl as exc:
            logger.warning("webhook for %s not sent: %s", job.request_id, exc)
            return False
        retrying = Retrying(
            retry=retry_if_exception_type(_RetryableDelivery),
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=wait_exponential(multiplier=self.policy.backoff_s, max=self.policy.backoff_max_s),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._post_once(url, body, job.request_id, user_id)
        except _RetryableDelivery as exc:
            logger.error(
                "webhook for %s failed after %d attempts: %s", job.request_id, self.policy.max_attempts, exc
            )
            return False
        logger.info("webhook for %s delivered to %s", job.request_id, url)
        return True

    def _post_once(self, url: str, body: bytes, request_id: str, user_id: str) -> None:
        headers = {"Content-Type": "application/json", **self.signer.headers(request_id, user_id, body)}
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=self.policy.timeout_s)
        except httpx.HTTPError as exc:
            raise _RetryableDelivery(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise _RetryableDelivery(f"HTTP {response.status_code}")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
