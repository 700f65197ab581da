"""The SQLite job backend: FIFO positions, cancel, crash recovery, persistence, expiry."""

from __future__ import annotations

import time
from pathlib import Path

from ltx_serve.jobs.models import JobOutcome, JobStatus, LogEntry, NewJob
from ltx_serve.jobs.sqlite import SqliteJobs


def new(i: int) -> NewJob:
    return NewJob(request_id=f"r{i}", endpoint_id="fal-ai/ltx-2.3-22b/video-to-video", payload={"i": i})


def test_fifo_positions_and_claims(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    for i in range(3):
        jobs.submit(new(i))
    assert [jobs.position(f"r{i}") for i in range(3)] == [0, 1, 2]
    claimed = jobs.claim_next(0.1)
    assert claimed is not None and claimed.request_id == "r0" and claimed.status == JobStatus.IN_PROGRESS
    assert jobs.position("r0") is None and jobs.position("r2") == 1
    assert (jobs.depth(), jobs.running()) == (2, 1)


def test_cancel_queued_completes_499_running_sets_flag(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    jobs.submit(new(0))
    jobs.submit(new(1))
    jobs.claim_next(0.1)
    jobs.request_cancel("r1")
    cancelled = jobs.get("r1")
    assert (
        cancelled is not None and cancelled.status == JobStatus.COMPLETED and cancelled.result_status == 499
    )
    jobs.request_cancel("r0")
    assert jobs.is_cancel_requested("r0") and jobs.get("r0").status == JobStatus.IN_PROGRESS  # type: ignore[union-attr]
    assert jobs.claim_next(0.05) is None


def test_everything_survives_reopening(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    jobs.submit(new(0))
    jobs.submit(new(1))
    jobs.claim_next(0.1)
    jobs.append_log("r0", LogEntry("hello", "INFO", time.time()))
    jobs.finish("r0", JobOutcome(200, {"ok": True}, file_ids=("f1",)))
    jobs.close()
    reopened = SqliteJobs(tmp_path / "j.db")
    done = reopened.get("r0")
    assert done is not None and done.result_body == {"ok": True} and done.file_ids == ("f1",)
    assert [e.message for e in reopened.logs("r0")] == ["hello"]
    assert reopened.position("r1") == 0


def test_recover_requeues_once_then_fails(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    jobs.submit(new(0))
    jobs.submit(new(1))
    jobs.claim_next(0.1)  # r0 running when the "process dies"
    assert jobs.recover(max_attempts=2) == (["r0"], [])
    assert jobs.position("r0") == 0 and jobs.position("r1") == 1  # keeps its place at the front
    jobs.claim_next(0.1)  # second attempt, dies again
    assert jobs.recover(max_attempts=2) == ([], ["r0"])
    failed = jobs.get("r0")
    assert failed is not None and failed.status == JobStatus.COMPLETED and failed.result_status == 500
    assert "will not be retried" in failed.result_body["detail"]


def test_expire_drops_old_finished_jobs_and_returns_their_files(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    jobs.submit(new(0))
    jobs.submit(new(1))
    jobs.claim_next(0.1)
    jobs.finish("r0", JobOutcome(200, {}, file_ids=("f0",)))
    assert jobs.expire(time.time() - 60) == []
    assert jobs.expire(time.time() + 1) == ["f0"]
    assert jobs.get("r0") is None and jobs.get("r1") is not None  # queued jobs never expire
