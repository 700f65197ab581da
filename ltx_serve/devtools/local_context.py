"""A `JobContext` for running the engine in-process (the `generate` command, tests).

Inputs go through the same SSRF-safe `Fetcher` the server uses. Local files named in a
request (`"video_url": "clip.mp4"`) are exposed as this server's `/files/<id>` URLs, which
the schemas accept and the fetcher resolves through its local lookup, so nothing is copied
or base64-encoded.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ltx_serve.engine.protocol import LogLevel
from ltx_serve.errors import JobCancelled

logger = logging.getLogger(__name__)

_SCHEMES = ("http://", "https://", "data:", "/files/")
# The fetcher resolves `<any host>/files/<id>` through its local lookup before any network I/O.
LOCAL_BASE = "http://localhost"


class LocalFiles:
    """Maps local paths to `/files/<32 hex>` ids for the fetcher's local lookup."""

    def __init__(self) -> None:
        self._paths: dict[str, Path] = {}

    def add(self, path: Path) -> str:
        file_id = uuid.uuid4().hex
        self._paths[file_id] = Path(path).resolve()
        return f"{LOCAL_BASE}/files/{file_id}"

    def lookup(self, file_id: str) -> Path | None:
        return self._paths.get(file_id)

    def localize(self, payload: Any, base_dir: Path) -> Any:
        """Replace string values that name existing local files with `/files/` paths (recursively)."""
        if isinstance(payload, dict):
            return {k: self.localize(v, base_dir) for k, v in payload.items()}
        if isinstance(payload, list):
            return [self.localize(v, base_dir) for v in payload]
        if isinstance(payload, str) and not payload.startswith(_SCHEMES):
            candidate = Path(payload).expanduser()
            if not candidate.is_absolute():
                candidate = base_dir / candidate
            if candidate.is_file():
                return self.add(candidate)
        return payload


class LocalJobContext:
    """Logs to a callback (and the logger), cancel via an Event, fetches with a `Fetcher`."""

    def __init__(
        self,
        work_dir: Path,
        *,
        endpoint_id: str = "",
        request_id: str | None = None,
        files: LocalFiles | None = None,
        allow_private: bool = False,
        on_log: Callable[[str, LogLevel], None] | None = None,
    ) -> None:
        from ltx_serve.media.fetch import Fetcher, FetchPolicy

        self.request_id = request_id or uuid.uuid4().hex
        self.endpoint_id = endpoint_id
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.files = files or LocalFiles()
        self._fetcher = Fetcher(FetchPolicy(allow_private=allow_private), local_lookup=self.files.lookup)
        self.cancelled = threading.Event()
        self.logs: list[tuple[str, str]] = []
        self._on_log = on_log

    def log(self, message: str, level: LogLevel = "INFO") -> None:
        self.logs.append((level, str(message)))
        logger.log(logging.WARNING if level in ("WARN", "ERROR") else logging.INFO, "%s", message)
        if self._on_log is not None:
            self._on_log(str(message), level)

    def raise_if_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise JobCancelled()

    def fetch(self, url: str, field: str, max_bytes: int | None = None) -> Path:
        return self._fetcher.fetch(url, field, self.work_dir / "inputs", max_bytes)
