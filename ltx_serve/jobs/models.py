"""What a job is, independent of where it is stored.

fal has three visible states (IN_QUEUE, IN_PROGRESS, COMPLETED); a failed or cancelled
job is COMPLETED with a non-2xx `result_status`, which the result endpoint replays.
"""

from __future__ import annotations

import math
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
    # What the engine reported about the output (`megapixels`); None for jobs that produced
    # nothing and for rows written before the store kept metrics.
    metrics: dict[str, float] | None = None
    # What the job made beside fal's output (`JobOutcome.extras`); None when nothing.
    extras: dict[str, Any] | None = None

    @property
    def inference_time(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def megapixels(self) -> float | None:
        """fal's billing quantity: 0 for a failed job (nothing is billed), None when unknown."""
        if self.result_status is not None and self.result_status >= 400:
            return 0.0
        if self.metrics is None or "megapixels" not in self.metrics:
            return None
        return float(self.metrics["megapixels"])

    @property
    def billable_units(self) -> int | None:
        """fal bills per megapixel, rounded up: the `x-fal-billable-units` header's value.

        Rounded to whole pixels first, so float noise (2.0000000001) never adds a unit.
        """
        megapixels = self.megapixels
        if megapixels is None:
            return None
        return math.ceil(round(megapixels, 6))


@dataclass(frozen=True)
class JobPage:
    """One page of a key's request history, newest first; `next_cursor` None on the last."""

    jobs: tuple[Job, ...]
    next_cursor: str | None = None


REQUEST_TIMEOUT = "request_timeout"


@dataclass(frozen=True)
class JobOutcome:
    """What the worker records when a job ends."""

    status_code: int
    body: Any
    error: str | None = None
    error_type: str | None = None
    file_ids: tuple[str, ...] = ()
    # Engine-reported numbers kept with the job (`megapixels`), shown in the status `metrics`.
    metrics: dict[str, float] | None = None
    # JSON kept with the job but never in fal's output or status: the stage `timings` and
    # stored by-product files such as `control_video` (a `VideoFile` dict). The request
    # history (`GET /v1/models/requests/by-endpoint`) shows it; its files are in `file_ids`.
    extras: dict[str, Any] | None = None
    # Requeue instead of completing (shutdown interrupted the job).
    requeue: bool = False
