"""What a job is, independent of where it is stored.

fal has three visible states (IN_QUEUE, IN_PROGRESS, COMPLETED); a failed or cancelled
job is COMPLETED with a non-2xx `result_status`, which the result endpoint replays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    IN_QUEUE = "IN_QUEUE"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class LogEntry:
    message: str
    level: str
    timestamp: float

    def to_fal(self) -> dict[str, Any]:
        """fal's `RequestLog` shape."""
        return {
            "message": self.message,
            "level": self.level,
            "source": "USER",
            "timestamp": datetime.fromtimestamp(self.timestamp, UTC).isoformat(),
        }


@dataclass(frozen=True)
class NewJob:
    """Everything the API knows at submit time."""

    request_id: str
    endpoint_id: str
    payload: dict[str, Any]
    owner: str = ""
    base_url: str = ""
    webhook_url: str | None = None
    sync_mode: bool = False
    # fal's X-Fal-Request-Timeout: unix time by which the job must have *started*.
    start_deadline: float | None = None


@dataclass(frozen=True)
class Job:
    """A stored job, as the API and worker read it."""

    request_id: str
    endpoint_id: str
    payload: dict[str, Any] | None
    owner: str
    base_url: str
    webhook_url: str | None
    sync_mode: bool
    status: JobStatus
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    attempts: int = 0
    cancel_requested: bool = False
    result_status: int | None = None
    result_body: Any = None
    result_dropped: bool = False
    error: str | None = None
    error_type: str | None = None
    file_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def inference_time(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


REQUEST_TIMEOUT = "request_timeout"


@dataclass(frozen=True)
class JobOutcome:
    """What the worker records when a job ends."""

    status_code: int
    body: Any
    error: str | None = None
    error_type: str | None = None
    file_ids: tuple[str, ...] = ()
    # Requeue instead of completing (shutdown interrupted the job).
    requeue: bool = False
