"""The single-host job backend: SQLite (WAL) in the data directory.

One table row per job keeps inputs, state, owner, webhook, timings, the engine's metrics
(megapixels, for cost accounting), its extras (stage timings, the control video) and the
final status code + body, so a restart loses no
queued job and no finished result; logs and file ids live in side tables. The table order
(`seq`) *is* the queue: the worker always claims the lowest queued `seq`, so
`queue_position` is an exact count. One connection guarded by a lock is plenty: every
statement is sub-millisecond next to a multi-minute generation.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from ltx_serve.jobs.models import REQUEST_TIMEOUT, Job, JobOutcome, JobPage, JobStatus, LogEntry, NewJob

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
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
    error_type TEXT,
    metrics TEXT,
    extras TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status_seq ON jobs(status, seq);
CREATE INDEX IF NOT EXISTS jobs_owner_seq ON jobs(owner, seq);
CREATE TABLE IF NOT EXISTS job_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    ts REAL NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_logs_req ON job_logs(request_id, id);
CREATE TABLE IF NOT EXISTS job_files (
    request_id TEXT NOT NULL,
    file_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_files_req ON job_files(request_id);
"""

CANCELLED_BODY = {"detail": "Request cancelled by the client."}

# Columns added after the first release: (name, SQL type). `CREATE TABLE IF NOT EXISTS` leaves
# an existing data dir's table as it was, so each is added there on open.
_ADDED_COLUMNS: tuple[tuple[str, str], ...] = (("metrics", "TEXT"), ("extras", "TEXT"))


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a jobs table created by an older ltx-serve up to the current columns.

    Guarded twice: by the table's column list, and against a second process that added the
    same column between the check and the ALTER (SQLite then says "duplicate column name").
    """
    existing = {row[1] for row in db.execute("PRAGMA table_info(jobs)").fetchall()}
    for name, sql_type in _ADDED_COLUMNS:
        if name in existing:
            continue
        try:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {sql_type}")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc).lower():
                raise


def _parse_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isdigit():
        raise ValueError(f"not a cursor of this job store: {cursor!r}")
    return int(cursor)


class SqliteJobs:
    """Implements both `JobStore` and `JobQueue` over one SQLite database."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        _migrate(self._db)
        self._lock = threading.RLock()
        self._wakeup = threading.Condition(self._lock)
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wakeup.notify_all()
            self._db.close()

    # -- helpers ----------------------------------------------------------------------
    def _row_to_job(self, row: sqlite3.Row) -> Job:
        files = self._db.execute(
            "SELECT file_id FROM job_files WHERE request_id=? ORDER BY rowid", (row["request_id"],)
        ).fetchall()
        return Job(
            request_id=row["request_id"],
            endpoint_id=row["endpoint_id"],
            payload=json.loads(row["payload"]) if row["payload"] is not None else None,
            owner=row["owner"],
            base_url=row["base_url"],
            webhook_url=row["webhook_url"],
            sync_mode=bool(row["sync_mode"]),
            status=JobStatus(row["status"]),
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            attempts=row["attempts"],
            cancel_requested=bool(row["cancel_requested"]),
            result_status=row["result_status"],
            result_body=json.loads(row["result_body"]) if row["result_body"] is not None else None,
            result_dropped=bool(row["result_dropped"]),
            error=row["error"],
            error_type=row["error_type"],
            file_ids=tuple(f["file_id"] for f in files),
            metrics=json.loads(row["metrics"]) if row["metrics"] is not None else None,
            extras=json.loads(row["extras"]) if row["extras"] is not None else None,
        )

    def _get_locked(self, request_id: str) -> Job | None:
        row = self._db.execute("SELECT * FROM jobs WHERE request_id=?", (request_id,)).fetchone()
        return self._row_to_job(row) if row is not None else None

    # -- JobStore ---------------------------------------------------------------------
    def get(self, request_id: str) -> Job | None:
        with self._lock:
            return self._get_locked(request_id)

    def logs(self, request_id: str, since: int = 0) -> list[LogEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT ts, level, message FROM job_logs WHERE request_id=? ORDER BY id LIMIT -1 OFFSET ?",
                (request_id, since),
            ).fetchall()
        return [LogEntry(message=r["message"], level=r["level"], timestamp=r["ts"]) for r in rows]

    def append_log(self, request_id: str, entry: LogEntry) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO job_logs(request_id, ts, level, message) VALUES (?,?,?,?)",
                (request_id, entry.timestamp, entry.level, entry.message),
            )

    def finish(self, request_id: str, outcome: JobOutcome) -> Job:
        with self._lock:
            if outcome.requeue:
                # A graceful requeue (shutdown) is not a crash: the attempt is given back, so a
                # job claimed ahead and returned unrun keeps its crash retry.
                self._db.execute(
                    "UPDATE jobs SET status=?, started_at=NULL, attempts=MAX(attempts-1, 0)"
                    " WHERE request_id=?",
                    (JobStatus.IN_QUEUE, request_id),
                )
                self._wakeup.notify_all()
            else:
                self._db.execute(
                    "UPDATE jobs SET status=?, finished_at=?, result_status=?, result_body=?, error=?,"
                    " error_type=?, metrics=?, extras=? WHERE request_id=?",
                    (
                        JobStatus.COMPLETED,
                        time.time(),
                        outcome.status_code,
                        json.dumps(outcome.body),
                        outcome.error,
                        outcome.error_type,
                        json.dumps(outcome.metrics) if outcome.metrics is not None else None,
                        json.dumps(outcome.extras) if outcome.extras is not None else None,
                        request_id,
                    ),
                )
                self._db.executemany(
                    "INSERT INTO job_files(request_id, file_id) VALUES (?,?)",
                    [(request_id, f) for f in outcome.file_ids],
                )
            job = self._get_locked(request_id)
        assert job is not None
        return job

    def history(
        self, owner: str, limit: int, cursor: str | None = None, endpoint_ids: tuple[str, ...] = ()
    ) -> JobPage:
        """Newest first by `seq`; the cursor is the last listed row's `seq` (keyset paging, so
        jobs submitted meanwhile never shift a page)."""
        before = _parse_cursor(cursor)
        sql = "SELECT * FROM jobs WHERE sync_mode=0 AND (?='' OR owner=?)"
        args: list[object] = [owner, owner]
        if before is not None:
            sql += " AND seq < ?"
            args.append(before)
        if endpoint_ids:
            sql += f" AND endpoint_id IN ({','.join('?' * len(endpoint_ids))})"
            args.extend(endpoint_ids)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit + 1)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
            jobs = tuple(self._row_to_job(r) for r in rows[:limit])
        more = len(rows) > limit
        return JobPage(jobs=jobs, next_cursor=str(rows[limit - 1]["seq"]) if more else None)

    def mark_webhook_done(self, request_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET webhook_done=1 WHERE request_id=?", (request_id,))

    def pending_webhooks(self) -> list[Job]:
        """Finished jobs whose webhook was never settled (the process stopped mid-delivery)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE status=? AND webhook_url IS NOT NULL AND webhook_done=0"
                " ORDER BY seq",
                (JobStatus.COMPLETED,),
            ).fetchall()
            return [self._row_to_job(r) for r in rows]

    def drop_result(self, request_id: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET result_body=NULL, payload=NULL, result_dropped=1 WHERE request_id=?",
                (request_id,),
            )

    def expire(self, older_than: float) -> list[str]:
        """Delete finished jobs (and logs) older than the cutoff; their ids then answer 404."""
        with self._lock:
            ids = [
                r["request_id"]
                for r in self._db.execute(
                    "SELECT request_id FROM jobs WHERE status=? AND finished_at < ?",
                    (JobStatus.COMPLETED, older_than),
                ).fetchall()
            ]
            files: list[str] = []
            for request_id in ids:
                files += [
                    r["file_id"]
                    for r in self._db.execute(
                        "SELECT file_id FROM job_files WHERE request_id=?", (request_id,)
                    ).fetchall()
                ]
                for table in ("jobs", "job_logs", "job_files"):
                    self._db.execute(f"DELETE FROM {table} WHERE request_id=?", (request_id,))
        return files

    # -- JobQueue ---------------------------------------------------------------------
    def submit(self, job: NewJob) -> Job:
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs(request_id, endpoint_id, payload, owner, base_url, webhook_url, sync_mode,"
                " status, created_at, start_deadline) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    job.request_id,
                    job.endpoint_id,
                    json.dumps(job.payload),
                    job.owner,
                    job.base_url,
                    job.webhook_url,
                    int(job.sync_mode),
                    JobStatus.IN_QUEUE,
                    time.time(),
                    job.start_deadline,
                ),
            )
            self._wakeup.notify_all()
            stored = self._get_locked(job.request_id)
        assert stored is not None
        return stored

    def position(self, request_id: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, status FROM jobs WHERE request_id=?", (request_id,)
            ).fetchone()
            if row is None or row["status"] != JobStatus.IN_QUEUE:
                return None
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM jobs WHERE status=? AND seq < ?", (JobStatus.IN_QUEUE, row["seq"])
                ).fetchone()[0]
            )

    def _count(self, status: JobStatus) -> int:
        with self._lock:
            if self._closed:
                return 0
            return int(self._db.execute("SELECT COUNT(*) FROM jobs WHERE status=?", (status,)).fetchone()[0])

    def depth(self) -> int:
        return self._count(JobStatus.IN_QUEUE)

    def running(self) -> int:
        return self._count(JobStatus.IN_PROGRESS)

    def request_cancel(self, request_id: str) -> Job | None:
        with self._lock:
            job = self._get_locked(request_id)
            if job is None or job.status == JobStatus.COMPLETED:
                return job
            if job.status == JobStatus.IN_QUEUE:
                self._db.execute(
                    "UPDATE jobs SET status=?, cancel_requested=1, finished_at=?, result_status=499,"
                    " result_body=?, error=?, error_type=? WHERE request_id=?",
                    (
                        JobStatus.COMPLETED,
                        time.time(),
                        json.dumps(CANCELLED_BODY),
                        CANCELLED_BODY["detail"],
                        "request_cancelled",
                        request_id,
                    ),
                )
            else:
                self._db.execute("UPDATE jobs SET cancel_requested=1 WHERE request_id=?", (request_id,))
            return job

    def is_cancel_requested(self, request_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT cancel_requested FROM jobs WHERE request_id=?", (request_id,)
            ).fetchone()
        return bool(row and row["cancel_requested"])

    def claim_next(self, timeout: float) -> Job | None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._closed:
                row = self._db.execute(
                    "SELECT request_id FROM jobs WHERE status=? ORDER BY seq LIMIT 1", (JobStatus.IN_QUEUE,)
                ).fetchone()
                if row is not None:
                    self._db.execute(
                        "UPDATE jobs SET status=?, started_at=?, attempts=attempts+1 WHERE request_id=?",
                        (JobStatus.IN_PROGRESS, time.time(), row["request_id"]),
                    )
                    return self._get_locked(row["request_id"])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._wakeup.wait(remaining)
        return None

    def expire_start_deadlines(self, now: float) -> list[str]:
        """Complete (504) queued jobs whose X-Fal-Request-Timeout passed before they started."""
        with self._lock:
            rows = self._db.execute(
                "SELECT request_id FROM jobs WHERE status=? AND start_deadline < ?",
                (JobStatus.IN_QUEUE, now),
            ).fetchall()
        expired = [r["request_id"] for r in rows]
        for request_id in expired:
            detail = "Request timed out before processing started (X-Fal-Request-Timeout)."
            self.finish(
                request_id,
                JobOutcome(504, {"detail": detail, "error_type": REQUEST_TIMEOUT}, detail, REQUEST_TIMEOUT),
            )
        return expired

    def recover(self, max_attempts: int) -> tuple[list[str], list[str]]:
        """Jobs left IN_PROGRESS by a dead process: requeue (in their original order) or fail."""
        requeued: list[str] = []
        failed: list[str] = []
        with self._lock:
            rows = self._db.execute(
                "SELECT request_id, attempts FROM jobs WHERE status=?", (JobStatus.IN_PROGRESS,)
            ).fetchall()
            for row in rows:
                if row["attempts"] < max_attempts:
                    self._db.execute(
                        "UPDATE jobs SET status=?, started_at=NULL WHERE request_id=?",
                        (JobStatus.IN_QUEUE, row["request_id"]),
                    )
                    requeued.append(row["request_id"])
                else:
                    failed.append(row["request_id"])
        for request_id in failed:
            detail = (
                f"The server stopped while running this request {max_attempts} times; it will not be "
                "retried again. Submit it again, or check the server logs for the cause."
            )
            self.finish(
                request_id,
                JobOutcome(500, {"detail": detail}, error=detail, error_type="runner_disconnected"),
            )
        return requeued, failed
