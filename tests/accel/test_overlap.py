"""The overlap runner hides pre/post work behind the GPU stage, in order, with per-job errors and cancels.

Stages are fake (sleeps): 4 jobs x (pre 50 ms + gpu 80 ms + post 50 ms) = 0.72 s serially.
Overlapped, the GPU stage is the bottleneck: ~50 + 4 x 80 + 50 = 0.42 s. The margin asserted
(< 0.6 s, i.e. 0.12 s saved) leaves room for scheduler noise on a loaded 2-core machine.
"""

from __future__ import annotations

import threading
import time

import pytest

from ltx_serve.accel.overlap import OverlapRunner
from ltx_serve.errors import JobCancelled

PRE, GPU, POST = 0.05, 0.08, 0.05


class Recorder:
    """Fake stages that sleep and log what ran concurrently with the GPU stage."""

    def __init__(self, post_times: dict[int, float] | None = None) -> None:
        self.lock = threading.Lock()
        self.log: list[tuple[str, int, float]] = []
        self.pre_done_waiting: set[int] = set()  # pre finished, GPU not started yet
        self.max_waiting = 0
        self.gpu_threads: set[str] = set()
        self.post_times = post_times or {}

    def _mark(self, what: str, job: int) -> None:
        with self.lock:
            self.log.append((what, job, time.perf_counter()))

    def pre(self, job: int) -> str:
        self._mark("pre-start", job)
        time.sleep(PRE)
        if job == 13:
            raise ValueError("cannot fetch input")
        with self.lock:
            self.pre_done_waiting.add(job)
            self.max_waiting = max(self.max_waiting, len(self.pre_done_waiting))
        self._mark("pre-end", job)
        return f"in{job}"

    def gpu(self, job: int, pre_out: str) -> str:
        with self.lock:
            self.pre_done_waiting.discard(job)
        self.gpu_threads.add(threading.current_thread().name)
        self._mark("gpu-start", job)
        time.sleep(GPU)
        if job == 14:
            raise JobCancelled()
        if job == 15:
            raise RuntimeError("CUDA error")
        self._mark("gpu-end", job)
        return f"{pre_out}>gpu"

    def post(self, job: int, gpu_out: str) -> str:
        time.sleep(self.post_times.get(job, POST))
        self._mark("post-end", job)
        return f"{gpu_out}>post{job}"

    def times(self, what: str) -> dict[int, float]:
        return {j: t for w, j, t in self.log if w == what}


def test_overlap_beats_serial_and_keeps_order() -> None:
    rec = Recorder(post_times={0: 0.15, 1: 0.01})  # job 0's post finishes after job 1's would
    runner = OverlapRunner(rec.pre, rec.gpu, rec.post, max_ahead=1)
    t0 = time.perf_counter()
    outcomes = list(runner.run(range(4)))
    wall = time.perf_counter() - t0
    serial = 4 * (PRE + GPU) + sum(rec.post_times.get(j, POST) for j in range(4))
    assert [o.job for o in outcomes] == [0, 1, 2, 3]
    assert [o.result for o in outcomes] == [f"in{j}>gpu>post{j}" for j in range(4)]
    assert all(o.ok and set(o.timings) == {"pre", "gpu", "post"} for o in outcomes)
    assert wall < serial - 0.12, (wall, serial)
    pre_start, gpu_start, gpu_end = rec.times("pre-start"), rec.times("gpu-start"), rec.times("gpu-end")
    # job 1's pre ran while job 0 was on the GPU
    assert pre_start[1] < gpu_end[0]
    # the GPU stage ran on the caller's thread, one job at a time, in order
    assert rec.gpu_threads == {threading.current_thread().name}
    assert all(gpu_start[j + 1] >= gpu_end[j] for j in range(3))


def test_at_most_one_job_is_preprocessed_ahead() -> None:
    rec = Recorder()

    def slow_gpu_stage(job: int, pre_out: str) -> str:
        out = rec.gpu(job, pre_out)
        time.sleep(0.15)  # pre of the next jobs has time to run far ahead, if it were allowed
        return out

    slow_gpu = OverlapRunner(rec.pre, slow_gpu_stage, rec.post, max_ahead=1)
    assert [o.job for o in slow_gpu.run(range(4))] == [0, 1, 2, 3]
    assert rec.max_waiting == 1


def test_no_room_means_no_lookahead() -> None:
    rec = Recorder()
    runner = OverlapRunner(rec.pre, rec.gpu, rec.post, room_for_prefetch=lambda: False)
    assert all(o.ok for o in runner.run(range(3)))
    pre_start, gpu_end = rec.times("pre-start"), rec.times("gpu-end")
    # the next job's pre only starts once the previous job left the GPU
    assert all(pre_start[j + 1] >= gpu_end[j] for j in range(2))


def test_errors_and_cancellations_stay_with_their_job() -> None:
    rec = Recorder()
    cancelled = {12}
    runner = OverlapRunner(rec.pre, rec.gpu, rec.post, is_cancelled=lambda j: j in cancelled)
    outcomes = {o.job: o for o in runner.run(range(10, 17))}
    assert list(outcomes) == list(range(10, 17))
    assert outcomes[12].cancelled and outcomes[12].stage == "pre"  # cancelled before it started
    assert isinstance(outcomes[13].error, ValueError) and outcomes[13].stage == "pre"
    assert outcomes[14].cancelled and outcomes[14].stage == "gpu"  # JobCancelled at a step boundary
    assert isinstance(outcomes[15].error, RuntimeError) and outcomes[15].stage == "gpu"
    assert all(outcomes[j].ok for j in (10, 11, 16))
    assert 12 not in rec.times("gpu-start") and 13 not in rec.times("gpu-start")
    assert not {14, 15} & set(rec.times("post-end"))


def test_post_error_is_reported_and_feed_stops_on_none() -> None:
    rec = Recorder()
    queue = [1, 2, None]  # None from a blocking feed: shut down

    def feed(block: bool) -> int | None:
        if not queue:
            pytest.fail("feed called after it said stop")
        return queue.pop(0) if block or queue[0] is not None else None

    def post(job: int, gpu_out: str) -> str:
        if job == 2:
            raise OSError("upload failed")
        return rec.post(job, gpu_out)

    outcomes = list(OverlapRunner(rec.pre, rec.gpu, post).run_feed(feed))
    assert [o.job for o in outcomes] == [1, 2]
    assert outcomes[0].ok and isinstance(outcomes[1].error, OSError) and outcomes[1].stage == "post"
