"""The seams of the job system.

The API and the worker only use these Protocols, so the in-process SQLite implementation
can be swapped for a distributed one (Redis/arq, Ray Serve, a Postgres queue) without
touching `api/` or `schemas/`. A `JobQueue` must preserve FIFO order for `position`
to mean what fal's `queue_position` means.
"""

from __future__ import annotations

from typing import Protocol

from ltx_serve.jobs.models import Job, JobOutcome, JobPage, LogEntry, NewJob


class JobStore(Protocol):
    """Durable job records: inputs, state, logs, results, files."""

    def get(self, request_id: str) -> Job | None: ...

    def logs(self, request_id: str, since: int = 0) -> list[LogEntry]: ...

    def append_log(self, request_id: str, entry: LogEntry) -> None: ...

    def finish(self, request_id: str, outcome: JobOutcome) -> Job:
        """Complete the job (or requeue it); keeps the outcome's body, metrics, extras, files."""

    def history(
        self, owner: str, limit: int, cursor: str | None = None, endpoint_ids: tuple[str, ...] = ()
    ) -> JobPage:
        """A key's requests, newest submission first, at most `limit` per page.

        `owner` '' (a server without API keys) lists everyone's. `cursor` is the `next_cursor`
        of the previous page and opaque to callers; one this backend cannot read raises
        `ValueError`. Requests made with `sync_mode` are never listed (fal keeps them out of
        the history). `endpoint_ids`, when given, keeps only those endpoints' requests.
        """

    def mark_webhook_done(self, request_id: str) -> None:
        """The webhook was delivered or ran out of attempts: never resend it."""

    def pending_webhooks(self) -> list[Job]:
        """Finished jobs whose webhook is not settled yet (resent after a restart)."""

    def drop_result(self, request_id: str) -> None:
        """Forget a delivered `sync_mode` result (fal keeps those out of history)."""

    def expire(self, older_than: float) -> list[str]:
        """Drop finished jobs older than `older_than`; returns the file ids they owned."""


class JobQueue(Protocol):
    """FIFO admission and hand-out of jobs to the single GPU worker."""

    def submit(self, job: NewJob) -> Job: ...

    def position(self, request_id: str) -> int | None:
        """0-based number of queued jobs ahead of this one; None unless IN_QUEUE."""

    def depth(self) -> int: ...

    def running(self) -> int: ...

    def request_cancel(self, request_id: str) -> Job | None:
        """Drop a queued job (completing it with 499) or flag a running one."""

    def is_cancel_requested(self, request_id: str) -> bool:
        """Polled by the worker between engine steps (cooperative cancel)."""

    def claim_next(self, timeout: float) -> Job | None:
        """Move the oldest queued job to IN_PROGRESS and return it (worker side)."""

    def expire_start_deadlines(self, now: float) -> list[str]:
        """Complete queued jobs whose start deadline passed; returns their ids."""

    def recover(self, max_attempts: int) -> tuple[list[str], list[str]]:
        """After a restart: requeue interrupted jobs, fail those out of attempts."""


class JobBackend(JobStore, JobQueue, Protocol):
    """A store and a queue sharing one persistence layer (SQLite here; Redis/Postgres could
    implement it too)."""

    def close(self) -> None: ...


class Worker(Protocol):
    """Runs queued jobs on the engine; `stop` must honour the grace period."""

    @property
    def current_request_id(self) -> str | None: ...

    def start(self) -> None: ...

    def stop(self, grace_s: float) -> None: ...
