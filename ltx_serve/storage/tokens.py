"""Short-lived CDN upload tokens, as fal's `/storage/auth/token` hands out.

`fal_client` trades its key for a token, then uploads to the CDN with
`Authorization: <token_type> <token>`. The token must carry the uploader's identity (so a
key sees only its own files) without a database: it is `owner.expiry.hmac` signed with a
secret kept in the data directory, so tokens stay valid across restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

TOKEN_TYPE = "Bearer"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: float


class TokenSigner:
    """Issues and checks upload tokens."""

    def __init__(self, data_dir: Path, ttl_s: float = 3600.0) -> None:
        path = Path(data_dir) / "upload_token_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        self._secret = path.read_bytes()
        self.ttl_s = ttl_s

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def issue(self, owner: str) -> IssuedToken:
        expires = time.time() + self.ttl_s
        body = f"ltx1.{owner or '-'}.{int(expires)}"
        return IssuedToken(token=f"{body}.{self._sign(body)}", expires_at=float(int(expires)))

    def verify(self, token: str) -> str | None:
        """The owner a valid, unexpired token was issued to ('' for anonymous), else None."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "ltx1":
            return None
        body = ".".join(parts[:3])
        if not hmac.compare_digest(self._sign(body), parts[3]):
            return None
        try:
            if int(parts[2]) < time.time():
                return None
        except ValueError:
            return None
        return "" if parts[1] == "-" else parts[1]
