"""The job pipeline hides pre/post work behind the GPU stage, one GPU job at a time, in order.

Stages are fake (sleeps): 4 jobs x (pre 50 ms + gpu 80 ms + post 50 ms) = 0.72 s serially.
Overlapped, the GPU stage is the bottleneck: ~50 + 4 x 80 + 50 = 0.42 s. The margin asserted
(0.12 s saved) leaves room for scheduler noise on a loaded 2-core machine.
"""

from __future__ import annotations

import queue
import threading
import time

import pytest

from ltx_serve.errors import JobCancelled
from ltx_serve.jobs.overlap import JobPipeline, Outcome

PRE, GPU, POST = 0.05, 0.08, 0.05


class Recorder:
    """Fake stages that sleep and log when each stage ran and on which thread."""

    def __init__(self, post_times: dict[int, float] | None = None, gpu_time: float = GPU) -> None:
        self.lock = threading.Lock()
        self.log: list[tuple[str, int, float]] = []
        self.claimed_not_on_gpu: set[int] = set()
        self.max_ahead_seen = 0
        self.gpu_threads: set[str] = set()
        self.post_times = post_times or {}
        self.gpu_time = gpu_time
        self.outcomes: dict[int, Outcome[int, str]] = {}
        self.reported_at: dict[int, float] = {}

    def _mark(self, what: str, job: int) -> None:
        with self.lock:
            self.log.append((what, job, time.perf_counter()))

    def pre(self, job: int) -> str:
        self._mark("pre-start", job)
        time.sleep(PRE)
        if job == 13:
            raise ValueError("cannot fetch input")
        self._mark("pre-end", job)
        return f"in{job}"

    def gpu(self, job: int, pre_out: str) -> str:
        self.gpu_threads.add(threading.current_thread().name)
        self._mark("gpu-start", job)
        time.sleep(self.gpu_time)
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

    def record(self, outcome: Outcome[int, str]) -> None:
        with self.lock:
            self.outcomes[outcome.job] = outcome
            self.reported_at[outcome.job] = time.perf_counter()

    def times(self, what: str) -> dict[int, float]:
        return {j: t for w, j, t in self.log if w == what}


class Feed:
    """A FIFO the pipeline claims from; tracks how many jobs were claimed and not yet on the GPU."""

    def __init__(self, rec: Recorder, jobs: list[int]) -> None:
        self.rec = rec
        self.items: queue.Queue[int] = queue.Queue()
        for job in jobs:
            self.items.put(job)

    def __call__(self, timeout: float) -> int | None:
        try:
            job = self.items.get(timeout=timeout)
        except queue.Empty:
            return None
        with self.rec.lock:
            self.rec.claimed_not_on_gpu.add(job)
            self.rec.max_ahead_seen = max(self.rec.max_ahead_seen, len(self.rec.claimed_not_on_gpu))
        return job


def run_until_done(pipeline: JobPipeline, rec: Recorder, jobs: list[int], timeout: float = 10) -> float:
    """Run the pipeline on `jobs`; stop once every job has an outcome. Returns the wall time."""
    stop = threading.Event()

    def stopper() -> None:
        deadline = time.monotonic() + timeout
        while len(rec.outcomes) < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.005)
        stop.set()

    threading.Thread(target=stopper, daemon=True).start()
    t0 = time.perf_counter()
    pipeline.run(Feed(rec, jobs), stop)
    wall = time.perf_counter() - t0
    assert set(rec.outcomes) == set(jobs)
    return wall


def on_gpu_hook(rec: Recorder):  # type: ignore[no-untyped-def]
    """Wrap `rec.gpu` so the job leaves the "claimed ahead" set as it reaches the GPU."""

    def gpu(job: int, pre_out: str) -> str:
        with rec.lock:
            rec.claimed_not_on_gpu.discard(job)
        return rec.gpu(job, pre_out)

    return gpu


def test_overlap_beats_serial_and_keeps_gpu_order() -> None:
    rec = Recorder(post_times={0: 0.15, 1: 0.01})
    pipeline = JobPipeline(rec.pre, rec.gpu, rec.post, rec.record, max_ahead=1)
    wall = run_until_done(pipeline, rec, [0, 1, 2, 3])
    serial = 4 * (PRE + GPU) + sum(rec.post_times.get(j, POST) for j in range(4))
    assert [rec.outcomes[j].result for j in range(4)] == [f"in{j}>gpu>post{j}" for j in range(4)]
    assert all(
        rec.outcomes[j].ok and set(rec.outcomes[j].timings) == {"pre", "gpu", "post"} for j in range(4)
    )
    assert wall < serial - 0.12, (wall, serial)
    pre_start, gpu_start, gpu_end = rec.times("pre-start"), rec.times("gpu-start"), rec.times("gpu-end")
    assert pre_start[1] < gpu_end[0]  # job 1's inputs were prepared while job 0 was on the GPU
    # the GPU stage ran on the caller's thread, one job at a time, in claim order
    assert rec.gpu_threads == {threading.current_thread().name}
    assert all(gpu_start[j + 1] >= gpu_end[j] for j in range(3))


def test_a_result_is_reported_when_its_own_post_ends_not_after_the_next_gpu_stage() -> None:
    rec = Recorder(gpu_time=0.4)  # long denoise of the next job
    pipeline = JobPipeline(rec.pre, rec.gpu, rec.post, rec.record, max_ahead=1)
    run_until_done(pipeline, rec, [0, 1])
    assert rec.reported_at[0] < rec.times("gpu-end")[1] - 0.2
    assert rec.reported_at[0] - rec.times("post-end")[0] < 0.05


def test_at_most_one_job_is_claimed_ahead() -> None:
    rec = Recorder(gpu_time=0.25)  # pre of later jobs has time to run far ahead, if it were allowed
    pipeline = JobPipeline(rec.pre, on_gpu_hook(rec), rec.post, rec.record, max_ahead=1)
    run_until_done(pipeline, rec, [0, 1, 2, 3])
    assert rec.max_ahead_seen == 1
    assert all(rec.outcomes[j].ok for j in range(4))


@pytest.mark.parametrize("setting", ["no-room", "max_ahead=0"])
def test_without_room_or_overlap_the_next_job_starts_after_the_gpu_stage(setting: str) -> None:
    rec = Recorder()
    if setting == "no-room":
        pipeline = JobPipeline(rec.pre, rec.gpu, rec.post, rec.record, room_for_prefetch=lambda: False)
    else:
        pipeline = JobPipeline(rec.pre, rec.gpu, rec.post, rec.record, max_ahead=0)
    run_until_done(pipeline, rec, [0, 1, 2])
    assert all(rec.outcomes[j].ok for j in range(3))
    pre_start, gpu_end, post_end = rec.times("pre-start"), rec.times("gpu-end"), rec.times("post-end")
    assert all(pre_start[j + 1] >= gpu_end[j] for j in range(2))
    if setting == "max_ahead=0":  # overlap off: the next job waits for the previous one's post too
        assert all(pre_start[j + 1] >= post_end[j] for j in range(2))


def test_room_is_asked_again_while_the_gpu_works() -> None:
    """Memory frees up mid-denoise: the next job is claimed then, not only after the GPU stage."""
    rec = Recorder(gpu_time=0.4)
    freed_at = time.perf_counter() + 0.25

    pipeline = JobPipeline(
        rec.pre, rec.gpu, rec.post, rec.record, room_for_prefetch=lambda: time.perf_counter() > freed_at
    )
    run_until_done(pipeline, rec, [0, 1])
    assert rec.times("gpu-start")[0] < rec.times("pre-start")[1] < rec.times("gpu-end")[0]


def test_errors_and_cancellations_stay_with_their_job() -> None:
    rec = Recorder()
    cancelled = {12}
    pipeline = JobPipeline(rec.pre, rec.gpu, rec.post, rec.record, is_cancelled=lambda j: j in cancelled)
    run_until_done(pipeline, rec, list(range(10, 17)))
    out = rec.outcomes
    assert out[12].cancelled and out[12].stage == "pre"  # cancelled before it started
    assert isinstance(out[13].error, ValueError) and out[13].stage == "pre"
    assert out[14].cancelled and out[14].stage == "gpu"  # JobCancelled at a step boundary
    assert isinstance(out[15].error, RuntimeError) and out[15].stage == "gpu"
    assert all(out[j].ok for j in (10, 11, 16))
    assert 12 not in rec.times("gpu-start") and 13 not in rec.times("gpu-start")
    assert not {14, 15} & set(rec.times("post-end"))


def test_a_bad_input_is_reported_without_waiting_for_the_running_job() -> None:
    rec = Recorder(gpu_time=0.5)
    pipeline = JobPipeline(rec.pre, rec.gpu, rec.post, rec.record, max_ahead=1)
    run_until_done(pipeline, rec, [0, 13])  # job 13's pre fails while job 0 denoises
    assert isinstance(rec.outcomes[13].error, ValueError)
    assert rec.reported_at[13] < rec.times("gpu-end")[0]


def test_post_errors_and_feed_errors_do_not_stop_the_pipeline() -> None:
    rec = Recorder()
    items = [1, 2]
    failed_once = []

    def feed(timeout: float) -> int | None:
        if not failed_once:
            failed_once.append(True)
            raise OSError("database is locked")
        if items:
            return items.pop(0)
        time.sleep(timeout)
        return None

    def post(job: int, gpu_out: str) -> str:
        if job == 2:
            raise OSError("upload failed")
        return rec.post(job, gpu_out)

    stop = threading.Event()
    threading.Timer(1.6, stop.set).start()
    JobPipeline(rec.pre, rec.gpu, post, rec.record).run(feed, stop)
    assert rec.outcomes[1].ok
    assert isinstance(rec.outcomes[2].error, OSError) and rec.outcomes[2].stage == "post"


def test_stop_returns_only_after_every_claimed_job_is_reported() -> None:
    rec = Recorder(gpu_time=0.3)
    stop = threading.Event()
    pipeline = JobPipeline(
        rec.pre, rec.gpu, rec.post, rec.record, is_cancelled=lambda j: stop.is_set() and j == 1
    )
    feed = Feed(rec, [0, 1, 2])
    threading.Timer(0.15, stop.set).start()  # job 0 on the GPU, job 1 claimed ahead
    pipeline.run(feed, stop)
    assert rec.outcomes[0].ok  # the running job finished
    assert rec.outcomes[1].cancelled  # the job claimed ahead was handed back
    assert 2 not in rec.outcomes and feed.items.qsize() == 1  # nothing more was claimed
