"""Overlap one job's host-side work with the next job's GPU stage.

A job is three stages: `pre` (fetch and decode media, render control videos, download user
LoRAs), `gpu` (prompt encode, denoise, VAE decode into host frames: the GPU) and `post`
(encode and mux the video file, store it, record the result). Run serially, the GPU idles
during every `pre` and `post`. `JobPipeline.run(feed, stop)` runs three threads instead:

- a producer thread claims the next job from `feed` and runs its `pre` while the current job
  is on the GPU (at most `max_ahead` jobs claimed ahead, so decoded inputs held in host
  memory stay bounded; `max_ahead=0` runs one job at a time, `post` included);
- the calling thread (the server's one GPU worker thread) runs `gpu`, one job at a time, in
  claim order;
- a post thread runs `post` behind it, at most one job behind: before the next GPU stage
  starts, the post of the job before the previous one has finished (finished frames held in
  host memory stay bounded too).

Memory rule ("where memory allows"): a job is claimed ahead only when `room_for_prefetch()`
says so (the engine answers from its memory plan and the free host memory); otherwise the
producer waits until the GPU stage ends, which is the serial order. When the GPU is idle the
producer always claims (that job is the only one in flight).

Each job's outcome is reported through `on_outcome` by the thread that settled it, as soon
as it is settled: a `pre` failure at once (a bad input is a 422 without waiting for another
job's denoise), a `gpu` failure on the GPU thread, success or a `post` failure on the post
thread. So `on_outcome` must be thread-safe. An error or a cancellation belongs to its job;
the others carry on.

Unverified without a GPU: the gain (up to the pre + post time of each job, when denoising is
the longest stage) and GIL contention: `pre`/`post` should spend their time in code that
releases the GIL (PyAV, numpy, file and socket IO, ONNX Runtime) so the GPU thread's kernel
launches are not starved.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ltx_serve.errors import JobCancelled

logger = logging.getLogger(__name__)

J = TypeVar("J")
P = TypeVar("P")
G = TypeVar("G")
R = TypeVar("R")

# How often waiting threads re-check `stop` and the memory rule.
_POLL_S = 0.2


@dataclass(frozen=True)
class Outcome(Generic[J, R]):
    """What happened to one job. Exactly one of `result`, `error`, `cancelled` is meaningful."""

    job: J
    result: R | None = None
    error: BaseException | None = None
    cancelled: bool = False
    stage: str = "done"  # the stage that failed or was cancelled, "done" on success
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled


class _Stopped(Exception):
    """Internal: the job was cancelled before a stage started."""


def _always() -> bool:
    return True


def _never(_job: object) -> bool:
    return False


class JobPipeline(Generic[J, P, G, R]):
    """`pre` ahead on a producer thread, `gpu` on the caller's thread, `post` behind on a thread."""

    def __init__(
        self,
        pre: Callable[[J], P],
        gpu: Callable[[J, P], G],
        post: Callable[[J, G], R],
        on_outcome: Callable[[Outcome[J, R]], None],
        *,
        max_ahead: int = 1,
        room_for_prefetch: Callable[[], bool] = _always,
        is_cancelled: Callable[[J], bool] = _never,
        cancel_errors: tuple[type[BaseException], ...] = (JobCancelled,),
    ) -> None:
        if max_ahead < 0:
            raise ValueError("max_ahead must be >= 0")
        self.pre, self.gpu, self.post = pre, gpu, post
        self.on_outcome = on_outcome
        self.max_ahead = max_ahead
        self.room_for_prefetch = room_for_prefetch
        self.is_cancelled = is_cancelled
        self.cancel_errors = cancel_errors
        self._cond = threading.Condition()
        self._ready: deque[tuple[J, P, dict[str, float]]] = deque()
        self._in_flight_ahead = 0  # claimed, not yet on the GPU (being pre-processed or waiting)
        self._gpu_busy = False
        self._posts_pending = 0
        self._producer_done = False

    # -- stage wrappers -------------------------------------------------------------------------

    def _stage(self, name: str, fn: Callable[..., object], job: J, *args: object) -> tuple[object, float]:
        if self.is_cancelled(job):
            raise _Stopped(name)
        t0 = time.perf_counter()
        return fn(job, *args), time.perf_counter() - t0

    def _report(self, outcome: Outcome[J, R]) -> None:
        try:
            self.on_outcome(outcome)
        except Exception:
            logger.exception("recording the outcome of job %r failed", outcome.job)

    def _report_failure(self, job: J, stage: str, exc: BaseException, timings: dict[str, float]) -> None:
        if isinstance(exc, (_Stopped, *self.cancel_errors)):
            self._report(Outcome(job, cancelled=True, stage=stage, timings=timings))
            return
        if not isinstance(exc, Exception):
            raise exc
        self._report(Outcome(job, error=exc, stage=stage, timings=timings))

    # -- threads --------------------------------------------------------------------------------

    def _may_claim(self) -> bool:
        """Producer's rule, under the lock (jobs waiting in `_ready` count as in flight ahead)."""
        if self.max_ahead == 0:  # strictly one job at a time, its `post` included
            return not self._gpu_busy and self._in_flight_ahead == 0 and self._posts_pending == 0
        if not self._gpu_busy:  # idle GPU: claim unless a job is already on its way to it
            return self._in_flight_ahead == 0
        return self._in_flight_ahead < self.max_ahead and self.room_for_prefetch()

    def _release_claim(self) -> None:
        """A claimed slot that will not reach the GPU (nothing claimed, or `pre` failed)."""
        with self._cond:
            self._in_flight_ahead -= 1
            self._cond.notify_all()

    def _produce(self, feed: Callable[[float], J | None], stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                with self._cond:
                    if not self._may_claim():
                        self._cond.wait(_POLL_S)
                        continue
                    self._in_flight_ahead += 1
                try:
                    job = feed(_POLL_S)
                except Exception:
                    logger.exception("taking the next job failed; retrying")
                    stop.wait(1.0)
                    job = None
                if job is None:
                    self._release_claim()
                    continue
                timings: dict[str, float] = {}
                try:
                    out, timings["pre"] = self._stage("pre", self.pre, job)
                except BaseException as exc:
                    self._release_claim()
                    self._report_failure(job, "pre", exc, timings)
                    continue
                with self._cond:
                    self._ready.append((job, out, timings))  # type: ignore[arg-type]
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._producer_done = True
                self._cond.notify_all()

    def _finish(self, job: J, gpu_out: G, timings: dict[str, float]) -> None:
        try:
            result, timings["post"] = self._stage("post", self.post, job, gpu_out)
        except BaseException as exc:
            self._report_failure(job, "post", exc, timings)
        else:
            self._report(Outcome(job, result=result, timings=timings))  # type: ignore[arg-type]
        finally:
            with self._cond:
                self._posts_pending -= 1
                self._cond.notify_all()

    def run(self, feed: Callable[[float], J | None], stop: threading.Event) -> None:
        """Run jobs from `feed(timeout)` (None: nothing within `timeout`) until `stop` is set;
        returns once every claimed job's outcome has been reported."""
        self._producer_done = False
        producer = threading.Thread(target=self._produce, args=(feed, stop), name="ltx-pre", daemon=True)
        post_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ltx-post")
        producer.start()
        try:
            while True:
                with self._cond:
                    while not self._ready and not (self._producer_done and self._in_flight_ahead == 0):
                        self._cond.wait(_POLL_S)
                    if not self._ready:
                        break  # stopped and drained
                    job, pre_out, timings = self._ready.popleft()
                    # Bound the finished frames held in memory: one post may run beside the GPU.
                    while self._posts_pending > 1:
                        self._cond.wait(_POLL_S)
                    self._in_flight_ahead -= 1
                    self._gpu_busy = True
                    self._cond.notify_all()
                try:
                    gpu_out, timings["gpu"] = self._stage("gpu", self.gpu, job, pre_out)
                except BaseException as exc:
                    self._report_failure(job, "gpu", exc, timings)
                else:
                    with self._cond:
                        self._posts_pending += 1
                    post_pool.submit(self._finish, job, gpu_out, timings)  # type: ignore[arg-type]
                finally:
                    with self._cond:
                        self._gpu_busy = False
                        self._cond.notify_all()
        finally:
            producer.join()
            post_pool.shutdown(wait=True)
