"""Overlap one job's CPU/IO work with another job's GPU denoise, in FIFO order.

A job here is three stages: `pre` (fetch and decode media, render control videos: CPU and
network), `gpu` (encode prompt, denoise, VAE decode: the GPU) and `post` (encode the video
file, store or upload it: CPU and IO). Run serially, the GPU idles during every `pre` and
`post`. `OverlapRunner.run(jobs)` instead runs, while job N is on the GPU:

- job N+1's `pre` on a worker thread (at most `max_ahead` jobs pre-processed ahead, so the
  decoded media held in memory stays bounded), and
- job N-1's `post` on another worker thread (one at a time, in order).

The GPU stage always runs on the calling thread (the engine's single GPU worker thread), one
job at a time. Results come out in submission order. An error or a cancellation belongs to
its job: the outcome carries it, the other jobs carry on.

Memory rule: pre-processing ahead holds a second job's inputs in host memory (decoded frames
of a 121-frame 1080p reference video are ~750 MB as uint8). `room_for_prefetch()` is asked
before each look-ahead; when it says no (the memory plan has no headroom), the next job's
`pre` starts only after the current job's GPU stage, i.e. the serial behaviour.

Unverified without a GPU: the actual gain (it is the sum of pre + post time per job, hidden
behind denoise, when denoise is the longest stage), and GIL contention: `pre`/`post` must
spend their time in code that releases the GIL (PyAV, numpy, file and socket IO), or they
slow the GPU thread's Python-side kernel launches.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ltx_serve.errors import JobCancelled

logger = logging.getLogger(__name__)

J = TypeVar("J")
P = TypeVar("P")
G = TypeVar("G")
R = TypeVar("R")


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


class OverlapRunner(Generic[J, P, G, R]):
    """Three-stage pipeline: `pre` ahead on a thread, `gpu` on the caller, `post` behind on a thread."""

    def __init__(
        self,
        pre: Callable[[J], P],
        gpu: Callable[[J, P], G],
        post: Callable[[J, G], R],
        *,
        max_ahead: int = 1,
        room_for_prefetch: Callable[[], bool] = _always,
        is_cancelled: Callable[[J], bool] = _never,
        cancel_errors: tuple[type[BaseException], ...] = (JobCancelled,),
    ) -> None:
        if max_ahead < 0:
            raise ValueError("max_ahead must be >= 0")
        self.pre, self.gpu, self.post = pre, gpu, post
        self.max_ahead = max_ahead
        self.room_for_prefetch = room_for_prefetch
        self.is_cancelled = is_cancelled
        self.cancel_errors = cancel_errors

    def _timed(self, stage: str, fn: Callable[..., object], job: J, *args: object) -> tuple[object, float]:
        if self.is_cancelled(job):
            raise _Stopped(stage)
        t0 = time.perf_counter()
        return fn(job, *args), time.perf_counter() - t0

    def _failed(self, job: J, stage: str, exc: BaseException, timings: dict[str, float]) -> Outcome[J, R]:
        if isinstance(exc, (_Stopped, *self.cancel_errors)):
            return Outcome(job, cancelled=True, stage=stage, timings=timings)
        logger.warning("job %r failed in %s: %s", job, stage, exc)
        return Outcome(job, error=exc, stage=stage, timings=timings)

    def run(self, jobs: Iterable[J]) -> Iterator[Outcome[J, R]]:
        """Outcomes in the order of `jobs` (a finite or lazily produced iterable)."""
        source = iter(jobs)

        def feed(_block: bool) -> J | None:
            return next(source, None)

        return self.run_feed(feed)

    def run_feed(self, feed: Callable[[bool], J | None]) -> Iterator[Outcome[J, R]]:
        """Outcomes in feed order. `feed(block)` returns the next job; with `block=False` it
        returns None when no job is waiting (look-ahead only takes jobs already queued), with
        `block=True` None means "stop" (shutdown). A live queue maps onto this directly."""
        pre_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ltx-pre")
        post_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ltx-post")
        ahead: deque[Future[tuple[object, float]]] = deque()
        ahead_jobs: deque[J] = deque()
        behind: deque[Future[Outcome[J, R]]] = deque()
        stopped = False

        def take(block: bool) -> bool:
            nonlocal stopped
            if stopped:
                return False
            job = feed(block)
            if job is None:
                stopped = stopped or block
                return False
            ahead_jobs.append(job)
            ahead.append(pre_pool.submit(self._timed, "pre", self.pre, job))
            return True

        def finish(job: J, gpu_out: G, timings: dict[str, float]) -> Outcome[J, R]:
            try:
                result, took = self._timed("post", self.post, job, gpu_out)
            except Exception as exc:
                return self._failed(job, "post", exc, timings)
            return Outcome(job, result=result, timings={**timings, "post": took})  # type: ignore[arg-type]

        try:
            take(True)
            while ahead:
                job, pre_fut = ahead_jobs.popleft(), ahead.popleft()
                # Look ahead while this job waits for / uses the GPU, if memory allows.
                if self.max_ahead and self.room_for_prefetch():
                    while len(ahead) < self.max_ahead and take(False):
                        pass
                timings: dict[str, float] = {}
                stage = "pre"
                try:
                    pre_out, timings["pre"] = pre_fut.result()
                    stage = "gpu"
                    gpu_out, timings["gpu"] = self._timed("gpu", self.gpu, job, pre_out)
                except Exception as exc:
                    behind.append(_done(self._failed(job, stage, exc, timings)))
                else:
                    behind.append(post_pool.submit(finish, job, gpu_out, timings))  # type: ignore[arg-type]
                # Keep at most one post-processing running beside the next GPU stage.
                while len(behind) > 1 or (behind and behind[0].done()):
                    yield behind.popleft().result()
                if not ahead and not take(False):
                    while behind:  # idle: finish the tail before blocking on the feed
                        yield behind.popleft().result()
                    take(True)
            while behind:
                yield behind.popleft().result()
        finally:
            for fut in ahead:
                fut.cancel()
            pre_pool.shutdown(wait=True, cancel_futures=True)
            post_pool.shutdown(wait=True, cancel_futures=True)


def _done(outcome: Outcome[J, R]) -> Future[Outcome[J, R]]:
    fut: Future[Outcome[J, R]] = Future()
    fut.set_result(outcome)
    return fut
