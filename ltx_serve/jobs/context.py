"""The `JobContext` the worker hands to the engine for one job."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from ltx_serve.engine.protocol import LogLevel
from ltx_serve.errors import JobCancelled
from ltx_serve.jobs.models import LogEntry
from ltx_serve.jobs.protocols import JobStore
from ltx_serve.media.fetch import Fetcher

logger = logging.getLogger("ltx_serve.job")


class WorkerJobContext:
    """Logs go to the job record (and the server log), cancel is a flag the API sets."""

    def __init__(
        self,
        request_id: str,
        endpoint_id: str,
        work_dir: Path,
        store: JobStore,
        fetcher: Fetcher,
        is_cancelled: Callable[[], bool],
        on_change: Callable[[], None],
    ) -> None:
        self.request_id = request_id
        self.endpoint_id = endpoint_id
        self.work_dir = work_dir
        self._store = store
        self._fetcher = fetcher
        self._is_cancelled = is_cancelled
        self._on_change = on_change

    def log(self, message: str, level: LogLevel = "INFO") -> None:
        self._store.append_log(
            self.request_id, LogEntry(message=str(message), level=level, timestamp=time.time())
        )
        logger.log(logging.WARNING if level in ("WARN", "ERROR", "STDERR") else logging.INFO, "%s", message)
        self._on_change()

    def raise_if_cancelled(self) -> None:
        if self._is_cancelled():
            raise JobCancelled()

    def fetch(self, url: str, field: str, max_bytes: int | None = None) -> Path:
        return self._fetcher.fetch(url, field, self.work_dir / "inputs", max_bytes)
