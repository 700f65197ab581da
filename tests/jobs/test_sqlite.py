"""The SQLite job backend: FIFO positions, cancel, crash recovery, persistence, expiry, history."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

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


# The jobs table exactly as ltx-serve created it before metrics were stored.
_OLD_JOBS_TABLE = """
CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL UNIQUE,
    endpoint_id TEXT NOT NULL,
    payload TEXT,
    owner TEXT NOT NULL DEFAULT '',
    base_url TEXT NOT NULL DEFAULT '',
    webhook_url TEXT,
    webhook_done INTEGER NOT NULL DEFAULT 0,
    sync_mode INTEGER NOT NULL DEFAULT 0,
    start_deadline REAL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    result_status INTEGER,
    result_body TEXT,
    result_dropped INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    error_type TEXT
);
"""


def _old_data_dir(path: Path, queued_payload: dict | None = None) -> None:
    """A database as the previous release left it: one finished and one queued job."""
    import json
    import sqlite3

    db = sqlite3.connect(str(path))
    db.executescript(_OLD_JOBS_TABLE)
    now = time.time()
    endpoint = "fal-ai/ltx-2.3-22b/video-to-video"
    db.execute(
        "INSERT INTO jobs(request_id, endpoint_id, payload, status, created_at, started_at, finished_at,"
        " result_status, result_body) VALUES ('old', ?, '{}', 'COMPLETED', ?, ?, ?, 200, '{\"ok\": 1}')",
        (endpoint, now - 3, now - 2, now),
    )
    db.execute(
        "INSERT INTO jobs(request_id, endpoint_id, payload, status, created_at) VALUES ('q', ?, ?,"
        " 'IN_QUEUE', ?)",
        (endpoint, json.dumps(queued_payload or {}), now),
    )
    db.commit()
    db.close()


def test_store_keeps_megapixels_and_bills_whole_units_rounded_up(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    for i in range(3):
        jobs.submit(new(i))
    jobs.claim_next(0.1)
    jobs.finish("r0", JobOutcome(200, {}, metrics={"megapixels": 1.0001}))
    jobs.claim_next(0.1)
    jobs.finish("r1", JobOutcome(200, {}, metrics={"megapixels": 2.0}))
    jobs.claim_next(0.1)
    jobs.finish("r2", JobOutcome(422, {"detail": []}, error="bad", error_type="validation_error"))
    jobs.close()
    reopened = SqliteJobs(tmp_path / "j.db")
    r0, r1, r2 = (reopened.get(f"r{i}") for i in range(3))
    assert r0 is not None and r0.metrics == {"megapixels": 1.0001}
    assert (r0.megapixels, r0.billable_units) == (1.0001, 2)
    assert r1 is not None and r1.billable_units == 2  # exact whole megapixels: no extra unit
    assert r2 is not None and (r2.megapixels, r2.billable_units) == (0.0, 0)  # failures bill nothing


def test_opening_a_data_dir_from_the_previous_release_adds_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    _old_data_dir(path)
    jobs = SqliteJobs(path)
    old = jobs.get("old")
    assert old is not None and old.result_body == {"ok": 1} and old.inference_time is not None
    assert old.metrics is None and old.megapixels is None and old.billable_units is None
    assert old.extras is None
    assert jobs.position("q") == 0
    claimed = jobs.claim_next(0.1)
    assert claimed is not None and claimed.request_id == "q"
    jobs.finish("q", JobOutcome(200, {}, metrics={"megapixels": 0.5}))
    jobs.close()
    # Opening again (the column now exists) is a no-op and keeps what was stored.
    again = SqliteJobs(path)
    done = again.get("q")
    assert done is not None and done.megapixels == 0.5 and done.billable_units == 1
    again.close()


def test_history_pages_a_key_newest_first_and_stays_stable_under_new_submissions(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    for i in range(5):
        jobs.submit(NewJob(f"a{i}", "fal-ai/x/y", {"i": i}, owner="alice"))
    jobs.submit(NewJob("b0", "fal-ai/x/y", {}, owner="bob"))
    jobs.submit(NewJob("s0", "fal-ai/x/y", {}, owner="alice", sync_mode=True))
    first = jobs.history("alice", 2)
    assert [j.request_id for j in first.jobs] == ["a4", "a3"] and first.next_cursor
    jobs.submit(NewJob("a5", "fal-ai/x/y", {}, owner="alice"))  # a newer job never shifts the pages
    second = jobs.history("alice", 2, first.next_cursor)
    third = jobs.history("alice", 2, second.next_cursor)
    assert [j.request_id for j in second.jobs + third.jobs] == ["a2", "a1", "a0"]
    assert third.next_cursor is None
    assert [j.request_id for j in jobs.history("bob", 10).jobs] == ["b0"]
    everyone = [j.request_id for j in jobs.history("", 10).jobs]  # a server without keys
    assert everyone == ["a5", "b0", "a4", "a3", "a2", "a1", "a0"]  # never the sync_mode one
    assert jobs.history("alice", 10, endpoint_ids=("fal-ai/other",)).jobs == ()
    with pytest.raises(ValueError):
        jobs.history("alice", 2, "garbage")


def test_extras_are_kept_with_the_job(tmp_path: Path) -> None:
    jobs = SqliteJobs(tmp_path / "j.db")
    jobs.submit(new(0))
    jobs.claim_next(0.1)
    extras = {"timings": {"encode": 0.5}, "control_video": {"url": "/files/x/control.mp4"}}
    jobs.finish("r0", JobOutcome(200, {}, file_ids=("out", "ctl"), extras=extras))
    jobs.close()
    done = SqliteJobs(tmp_path / "j.db").get("r0")
    assert done is not None and done.extras == extras and done.file_ids == ("out", "ctl")
