"""The one GPU worker thread: takes jobs in FIFO order and runs them on the engine.

One thread, one job at a time, is what makes `queue_position` exact and keeps GPU memory
predictable. The worker never dies on a job failure: caller errors become their fal status
and body (422, 499, ...), anything else is logged and recorded as 500, and the record is
always completed so clients stop polling.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ltx_serve.engine.protocol import Engine
from ltx_serve.errors import JobCancelled, RequestError
from ltx_serve.jobs.context import WorkerJobContext
from ltx_serve.jobs.metrics import JobMetrics, outcome_label
from ltx_serve.jobs.models import Job, JobOutcome
from ltx_serve.jobs.output import build_output
from ltx_serve.jobs.protocols import JobBackend
from ltx_serve.logs import bound_request_id
from ltx_serve.media.fetch import Fetcher, FetchPolicy
from ltx_serve.schemas import find_endpoint, validate_input
from ltx_serve.storage.files import FileStore

logger = logging.getLogger(__name__)

# A job interrupted by a crash runs again once; the second interruption fails it.
MAX_ATTEMPTS = 2


class JobWorker:
    """Owns the worker thread; `start()` after the engine began loading, `stop()` on shutdown."""

    def __init__(
        self,
        engine: Engine,
        jobs: JobBackend,
        files: FileStore,
        fetch_policy: FetchPolicy,
        work_root: Path,
        metrics: JobMetrics,
        on_change: Callable[[str], None],
        on_finished: Callable[[Job], None],
        engine_ready: threading.Event,
    ) -> None:
        self.engine = engine
        self.jobs = jobs
        self.files = files
        self.fetch_policy = fetch_policy
        self.work_root = work_root
        self.metrics = metrics
        self.on_change = on_change
        self.on_finished = on_finished
        self.engine_ready = engine_ready
        self._stop = threading.Event()
        self._abort_current = threading.Event()
        self._current: str | None = None
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    @property
    def current_request_id(self) -> str | None:
        return self._current

    def start(self) -> None:
        requeued, failed = self.jobs.recover(MAX_ATTEMPTS)
        if requeued or failed:
            logger.warning("after restart: requeued %s, failed %s", requeued, failed)
        for request_id in failed:
            job = self.jobs.get(request_id)
            if job is not None:
                self.on_finished(job)
        self._thread = threading.Thread(target=self._loop, name="ltx-gpu-worker", daemon=True)
        self._thread.start()

    def stop(self, grace_s: float) -> None:
        """Stop taking jobs; let the running one finish for `grace_s`, then cancel it (it is
        re-queued, so the next start runs it again)."""
        self._stop.set()
        if not self._idle.wait(grace_s):
            logger.warning("shutdown: cancelling running job %s after %.0fs grace", self._current, grace_s)
            self._abort_current.set()
            self._idle.wait(60)
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the loop ---------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.engine_ready.wait(timeout=0.5):
                continue
            # Busy from before the claim, so stop() never sees "idle" while a job is taken.
            self._idle.clear()
            try:
                self._claim_and_run()
            finally:
                self._current = None
                self._abort_current.clear()
                self._idle.set()

    def _claim_and_run(self) -> None:
        try:
            job = self.jobs.claim_next(timeout=0.5)
        except Exception:
            if not self._stop.is_set():
                logger.exception("job queue failed; retrying")
                time.sleep(1)
            return
        if job is None:
            return
        if self._stop.is_set():
            self.jobs.finish(job.request_id, JobOutcome(0, None, requeue=True))
            return
        self._current = job.request_id
        self._run(job)

    def _run(self, job: Job) -> None:
        with bound_request_id(job.request_id):
            self.on_change(job.request_id)
            if job.started_at is not None:
                self.metrics.queue_wait.labels(job.endpoint_id).observe(
                    max(0.0, job.started_at - job.created_at)
                )
            work_dir = self.work_root / job.request_id
            work_dir.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            outcome = self._execute(job, work_dir)
            shutil.rmtree(work_dir, ignore_errors=True)
            if outcome.requeue:
                self.jobs.finish(job.request_id, outcome)
                self.on_change(job.request_id)
                logger.info("job %s re-queued (server shutting down)", job.request_id)
                return
            finished = self.jobs.finish(job.request_id, outcome)
            label = outcome_label(outcome.status_code)
            self.metrics.duration.labels(job.endpoint_id, label).observe(time.monotonic() - started)
            self.metrics.jobs.labels(job.endpoint_id, label).inc()
            logger.info("job %s finished: %s (%d)", job.request_id, label, outcome.status_code)
            self.on_change(job.request_id)
            self.on_finished(finished)

    def _execute(self, job: Job, work_dir: Path) -> JobOutcome:
        spec = find_endpoint(job.endpoint_id)
        fetcher = Fetcher(self.fetch_policy, local_lookup=self._lookup_for(job.owner))
        ctx = WorkerJobContext(
            request_id=job.request_id,
            endpoint_id=job.endpoint_id,
            work_dir=work_dir,
            store=self.jobs,
            fetcher=fetcher,
            is_cancelled=lambda: (
                self._abort_current.is_set() or self.jobs.is_cancel_requested(job.request_id)
            ),
            on_change=lambda: self.on_change(job.request_id),
        )
        try:
            ctx.raise_if_cancelled()
            request = validate_input(spec or job.endpoint_id, job.payload)
            result = self.engine.run(job.endpoint_id, request, ctx)
            output, file_ids = build_output(
                spec, result, self.files, job.owner, job.base_url, sync_mode=job.sync_mode
            )
            if result.megapixels:
                self.metrics.megapixels.labels(job.endpoint_id).inc(result.megapixels)
            # Kept with the job: the status `metrics` and `x-fal-billable-units` read it back.
            return JobOutcome(200, output, file_ids=file_ids, metrics={"megapixels": result.megapixels})
        except JobCancelled as exc:
            if self._abort_current.is_set() and not self.jobs.is_cancel_requested(job.request_id):
                return JobOutcome(0, None, requeue=True)
            return JobOutcome(
                499, {"detail": exc.detail()}, error=exc.message, error_type="request_cancelled"
            )
        except RequestError as exc:
            error_type = "validation_error" if exc.status_code == 422 else type(exc).__name__
            return JobOutcome(
                exc.status_code, {"detail": exc.detail()}, error=exc.message, error_type=error_type
            )
        except Exception:
            logger.exception("job %s failed with an unexpected error", job.request_id)
            return JobOutcome(
                500,
                {"detail": "Internal Server Error"},
                error="Internal Server Error",
                error_type="internal_error",
            )

    def _lookup_for(self, owner: str) -> Callable[[str], Path | None]:
        def lookup(file_id: str) -> Path | None:
            stored = self.files.get(file_id)
            if stored is None:
                return None
            if owner and stored.owner and stored.owner != owner:
                raise PermissionError("file belongs to another key")
            return stored.path

        return lookup
