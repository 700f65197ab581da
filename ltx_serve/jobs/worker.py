"""The GPU worker: takes jobs in FIFO order and runs them on the engine, one on the GPU at a time.

One job on the GPU at a time is what keeps GPU memory predictable. With a `StagedEngine`
the worker overlaps jobs (`ltx_serve.jobs.overlap`): while job N denoises, job N+1 is
claimed (it turns IN_PROGRESS and logs "waiting for the GPU") and its inputs are fetched and
decoded, and job N-1's video is encoded and stored. `overlap_jobs=False`, an engine without
stages, or an engine whose memory rule says no, give the serial order. Job N's result is
recorded as soon as its own encoding ends, never held back by job N+1.

The worker never dies on a job failure: caller errors become their fal status and body (422,
499, ...), anything else is logged and recorded as 500, and the record is always completed so
clients stop polling. On shutdown, jobs claimed ahead but not yet on the GPU go back to the
queue at once (they keep their place: the queue is ordered by submission); the job on the GPU
gets the grace period.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from ltx_serve.engine.protocol import Engine, EngineResult, JobContext, StagedEngine
from ltx_serve.errors import JobCancelled, RequestError
from ltx_serve.jobs.context import WorkerJobContext
from ltx_serve.jobs.metrics import JobMetrics, outcome_label
from ltx_serve.jobs.models import Job, JobOutcome
from ltx_serve.jobs.output import build_extras, build_output
from ltx_serve.jobs.overlap import JobPipeline, Outcome
from ltx_serve.jobs.protocols import JobBackend
from ltx_serve.logs import bound_request_id
from ltx_serve.media.fetch import Fetcher, FetchPolicy
from ltx_serve.schemas import find_endpoint, validate_input
from ltx_serve.storage.files import FileStore

logger = logging.getLogger(__name__)

# A job interrupted by a crash runs again once; the second interruption fails it.
MAX_ATTEMPTS = 2

Phase = Literal["pre", "waiting", "gpu", "post"]


class _WholeRun:
    """A plain `Engine` as stages: everything in `generate`, nothing to prefetch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def prepare(self, endpoint_id: str, request: BaseModel, ctx: JobContext) -> tuple[str, BaseModel]:
        return endpoint_id, request

    def generate(self, prepared: tuple[str, BaseModel], ctx: JobContext) -> EngineResult:
        return self.engine.run(prepared[0], prepared[1], ctx)

    def finish(self, generated: EngineResult, ctx: JobContext) -> EngineResult:
        return generated

    def room_for_prefetch(self) -> bool:
        return False


@dataclass
class _Run:
    """One claimed job as it moves through the stages."""

    job: Job
    work_dir: Path
    ctx: WorkerJobContext | None = None
    phase: Phase = "pre"
    started: float = field(default_factory=time.monotonic)


class JobWorker:
    """Owns the worker threads; `start()` after the engine began loading, `stop()` on shutdown."""

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
        overlap: bool = True,
    ) -> None:
        self.engine = engine
        self.stages: Any = engine if isinstance(engine, StagedEngine) else _WholeRun(engine)
        self.jobs = jobs
        self.files = files
        self.fetch_policy = fetch_policy
        self.work_root = work_root
        self.metrics = metrics
        self.on_change = on_change
        self.on_finished = on_finished
        self.engine_ready = engine_ready
        self.max_ahead = 1 if overlap else 0
        self._stop = threading.Event()
        self._abort = threading.Event()
        self._current: str | None = None
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    @property
    def current_request_id(self) -> str | None:
        """The job on the GPU (None between jobs)."""
        return self._current

    def start(self) -> None:
        requeued, failed = self.jobs.recover(MAX_ATTEMPTS)
        if requeued or failed:
            logger.warning("after restart: requeued %s, failed %s", requeued, failed)
        for request_id in failed:
            job = self.jobs.get(request_id)
            if job is not None:
                self.on_finished(job)
        self._idle.clear()
        self._thread = threading.Thread(target=self._loop, name="ltx-gpu-worker", daemon=True)
        self._thread.start()

    def stop(self, grace_s: float) -> None:
        """Stop taking jobs; jobs not yet on the GPU are re-queued at once, the running one may
        finish for `grace_s`, then everything in flight is cancelled and re-queued (the next
        start runs it again)."""
        self._stop.set()
        if not self._idle.wait(grace_s):
            logger.warning("shutdown: cancelling job %s after %.0fs grace", self._current, grace_s)
            self._abort.set()
            self._idle.wait(60)
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the loop ---------------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            while not self._stop.is_set() and not self.engine_ready.wait(timeout=0.5):
                pass
            if self._stop.is_set():
                return
            pipeline: JobPipeline[_Run, Any, Any, JobOutcome] = JobPipeline(
                self._prepare,
                self._generate,
                self._finish,
                self._record,
                max_ahead=self.max_ahead,
                room_for_prefetch=self.stages.room_for_prefetch,
                is_cancelled=self._is_cancelled,
            )
            pipeline.run(self._claim, self._stop)
        finally:
            self._current = None
            self._idle.set()

    def _claim(self, timeout: float) -> _Run | None:
        job = self.jobs.claim_next(timeout=timeout)
        if job is None:
            return None
        run = _Run(job=job, work_dir=self.work_root / job.request_id)
        with bound_request_id(job.request_id):
            self.on_change(job.request_id)
            if job.started_at is not None:
                self.metrics.queue_wait.labels(job.endpoint_id).observe(
                    max(0.0, job.started_at - job.created_at)
                )
        return run

    def _is_cancelled(self, run: _Run) -> bool:
        """Cancelled by the caller, by an abort after the grace period, or, for a job not yet on
        the GPU, by shutdown."""
        if self._abort.is_set() or self.jobs.is_cancel_requested(run.job.request_id):
            return True
        return self._stop.is_set() and run.phase in ("pre", "waiting")

    # -- stages (each runs on its own thread) -----------------------------------------------

    def _prepare(self, run: _Run) -> Any:
        job = run.job
        with bound_request_id(job.request_id):
            run.work_dir.mkdir(parents=True, exist_ok=True)
            fetcher = Fetcher(self.fetch_policy, local_lookup=self._lookup_for(job.owner))
            run.ctx = WorkerJobContext(
                request_id=job.request_id,
                endpoint_id=job.endpoint_id,
                work_dir=run.work_dir,
                store=self.jobs,
                fetcher=fetcher,
                is_cancelled=lambda: self._is_cancelled(run),
                on_change=lambda: self.on_change(job.request_id),
            )
            request = validate_input(find_endpoint(job.endpoint_id) or job.endpoint_id, job.payload)
            prepared = self.stages.prepare(job.endpoint_id, request, run.ctx)
            run.phase = "waiting"
            if self._current is not None:
                run.ctx.log("inputs ready; waiting for the GPU")
            return prepared

    def _generate(self, run: _Run, prepared: Any) -> Any:
        run.phase = "gpu"
        self._current = run.job.request_id
        try:
            with bound_request_id(run.job.request_id):
                return self.stages.generate(prepared, run.ctx)
        finally:
            self._current = None

    def _finish(self, run: _Run, generated: Any) -> JobOutcome:
        run.phase = "post"
        job = run.job
        with bound_request_id(job.request_id):
            result: EngineResult = self.stages.finish(generated, run.ctx)
            output, file_ids = build_output(
                find_endpoint(job.endpoint_id), result, self.files, job.owner, job.base_url, job.sync_mode
            )
            extras, extra_ids = build_extras(result, self.files, job.owner, job.base_url, job.sync_mode)
        if result.megapixels:
            self.metrics.megapixels.labels(job.endpoint_id).inc(result.megapixels)
        # Kept with the job: the status `metrics` and `x-fal-billable-units` read it back.
        return JobOutcome(
            200,
            output,
            file_ids=file_ids + extra_ids,
            metrics={"megapixels": result.megapixels},
            extras=extras or None,
        )

    # -- outcomes (called from whichever thread settled the job) ----------------------------

    def _record(self, outcome: Outcome[_Run, JobOutcome]) -> None:
        run = outcome.job
        job = run.job
        with bound_request_id(job.request_id):
            result = outcome.result if outcome.ok else self._failure(run, outcome)
            assert result is not None
            shutil.rmtree(run.work_dir, ignore_errors=True)
            if result.requeue:
                self.jobs.finish(job.request_id, result)
                self.on_change(job.request_id)
                logger.info("job %s re-queued (server shutting down)", job.request_id)
                return
            finished = self.jobs.finish(job.request_id, result)
            label = outcome_label(result.status_code)
            self.metrics.duration.labels(job.endpoint_id, label).observe(time.monotonic() - run.started)
            self.metrics.jobs.labels(job.endpoint_id, label).inc()
            stages = ", ".join(f"{k} {v:.2f}s" for k, v in outcome.timings.items())
            logger.info(
                "job %s finished: %s (%d; %s)",
                job.request_id,
                label,
                result.status_code,
                stages,
                extra={"stage_timings": dict(outcome.timings)},
            )
            self.on_change(job.request_id)
            self.on_finished(finished)

    def _failure(self, run: _Run, outcome: Outcome[_Run, JobOutcome]) -> JobOutcome:
        request_id = run.job.request_id
        if outcome.cancelled:
            shutting_down = self._abort.is_set() or self._stop.is_set()
            if shutting_down and not self.jobs.is_cancel_requested(request_id):
                return JobOutcome(0, None, requeue=True)
            exc = JobCancelled()
            return JobOutcome(
                499, {"detail": exc.detail()}, error=exc.message, error_type="request_cancelled"
            )
        exc = outcome.error
        if isinstance(exc, RequestError):
            error_type = "validation_error" if exc.status_code == 422 else type(exc).__name__
            return JobOutcome(
                exc.status_code, {"detail": exc.detail()}, error=exc.message, error_type=error_type
            )
        logger.error("job %s failed in %s", request_id, outcome.stage, exc_info=exc)
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
