"""`JobService`: the job system as the API sees it (one object in `app.state`).

It wires the store/queue, the file store, the worker thread, webhooks, change events and
retention together, and renders fal's status JSON. Routers never touch SQLite or threads.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from ltx_serve.config import Settings
from ltx_serve.engine.protocol import Engine
from ltx_serve.errors import RequestError
from ltx_serve.jobs.events import JobEvents
from ltx_serve.jobs.metrics import JobMetrics
from ltx_serve.jobs.models import Job, JobStatus, NewJob
from ltx_serve.jobs.protocols import JobBackend, Worker
from ltx_serve.jobs.sqlite import SqliteJobs
from ltx_serve.jobs.webhooks import WebhookPolicy, WebhookSender, WebhookSigner
from ltx_serve.jobs.worker import JobWorker
from ltx_serve.media.fetch import FetchPolicy
from ltx_serve.schemas import split_endpoint_id
from ltx_serve.storage.files import FileStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestUrls:
    response_url: str
    status_url: str
    cancel_url: str

    @classmethod
    def build(cls, base_url: str, endpoint_id: str, request_id: str) -> RequestUrls:
        """fal's sub-path-free form: `/queue/{owner}/{app}/requests/{id}` (what clients rebuild)."""
        owner, app, _ = split_endpoint_id(endpoint_id)
        prefix = "workflows/" if endpoint_id.startswith("workflows/") else ""
        prefix = "comfy/" if endpoint_id.startswith("comfy/") else prefix
        root = f"{base_url.rstrip('/')}/queue/{prefix}{owner}/{app}/requests/{request_id}"
        return cls(response_url=root, status_url=f"{root}/status", cancel_url=f"{root}/cancel")


class ServerShuttingDown(RequestError):
    """Submitted during shutdown: a 503 on purpose, so clients retry against the restarted server."""

    status_code = 503


class JobService:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        registry: CollectorRegistry,
        backend: JobBackend | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.jobs: JobBackend = backend or SqliteJobs(data_dir / "jobs.sqlite3")
        self.files = FileStore(data_dir, settings.upload_max_bytes)
        self.events = JobEvents()
        self.signer = WebhookSigner(data_dir)
        self.webhooks = WebhookSender(
            self.signer,
            WebhookPolicy(
                max_attempts=settings.webhook_max_attempts,
                backoff_s=settings.webhook_backoff_s,
                backoff_max_s=settings.webhook_backoff_max_s,
                timeout_s=settings.webhook_timeout_s,
                allow_private=settings.allow_private_urls,
            ),
            on_settled=self.jobs.mark_webhook_done,
        )
        self.metrics = JobMetrics(registry)
        self.metrics.bind_gauges(self.jobs.depth, self.jobs.running)
        self.fetch_policy = FetchPolicy(
            allow_private=settings.allow_private_urls,
            max_bytes=settings.fetch_max_bytes,
            connect_timeout_s=settings.fetch_connect_timeout_s,
            read_timeout_s=settings.fetch_read_timeout_s,
            retries=settings.fetch_retries,
            max_redirects=settings.fetch_max_redirects,
        )
        self.engine_ready = threading.Event()
        self.engine_error: str | None = None
        self.accepting = True
        self.worker: Worker = JobWorker(
            engine=engine,
            jobs=self.jobs,
            files=self.files,
            fetch_policy=self.fetch_policy,
            work_root=data_dir / "work",
            metrics=self.metrics,
            on_change=self.events.notify,
            on_finished=self.webhooks.send_async,
            engine_ready=self.engine_ready,
            overlap=settings.overlap_jobs,
        )
        self._janitor_stop = threading.Event()

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        """Load the engine in the background (minutes on a GPU) and start the worker; the
        HTTP server is up meanwhile, `/ready` says 503 until the load returned."""
        threading.Thread(target=self._load_engine, name="ltx-engine-load", daemon=True).start()
        self.worker.start()
        for job in self.jobs.pending_webhooks():
            logger.info("resending the webhook of %s (interrupted by a restart)", job.request_id)
            self.webhooks.send_async(job)
        threading.Thread(target=self._janitor, name="ltx-retention", daemon=True).start()
        threading.Thread(target=self._deadlines, name="ltx-start-deadlines", daemon=True).start()

    def _load_engine(self) -> None:
        started = time.monotonic()
        try:
            self.engine.load()
        except Exception as exc:
            self.engine_error = f"{type(exc).__name__}: {exc}"
            logger.exception("engine failed to load; /ready stays 503")
            return
        self.engine_ready.set()
        logger.info("engine loaded in %.1fs: %s", time.monotonic() - started, self.engine.info())

    def is_ready(self) -> bool:
        return self.engine_ready.is_set() and self.engine.is_ready()

    def stop(self) -> None:
        self.accepting = False
        self._janitor_stop.set()
        self.worker.stop(self.settings.shutdown_grace_s)
        self.webhooks.close()
        self.jobs.close()

    def _janitor(self) -> None:
        interval = min(3600.0, self.settings.result_retention_s / 4)
        while not self._janitor_stop.wait(interval):
            try:
                self.expire(time.time() - self.settings.result_retention_s)
            except Exception:
                logger.exception("retention sweep failed")

    def _deadlines(self) -> None:
        """Fail queued jobs whose X-Fal-Request-Timeout passed (the worker may be busy)."""
        while not self._janitor_stop.wait(0.5):
            try:
                for request_id in self.jobs.expire_start_deadlines(time.time()):
                    self.events.notify(request_id)
                    job = self.jobs.get(request_id)
                    if job is not None:
                        self.metrics.jobs.labels(job.endpoint_id, "timeout").inc()
                        self.webhooks.send_async(job)
            except Exception:
                if self._janitor_stop.is_set():
                    return
                logger.exception("start-deadline sweep failed")

    def expire(self, older_than: float) -> int:
        """Forget finished jobs and files created before `older_than`; returns the files removed."""
        file_ids = self.jobs.expire(older_than)
        for file_id in file_ids:
            self.files.delete(file_id)
        return len(file_ids) + self.files.expire(older_than)

    # -- API operations ---------------------------------------------------------------
    def submit(
        self,
        endpoint_id: str,
        payload: dict[str, Any],
        owner: str,
        base_url: str,
        webhook_url: str | None = None,
        start_timeout_s: float | None = None,
    ) -> Job:
        if not self.accepting:
            raise ServerShuttingDown("The server is shutting down and takes no new requests; retry shortly.")
        job = self.jobs.submit(
            NewJob(
                request_id=str(uuid.uuid4()),
                endpoint_id=endpoint_id,
                payload=payload,
                owner=owner,
                base_url=self.settings.public_base_url or base_url,
                webhook_url=webhook_url,
                sync_mode=bool(payload.get("sync_mode", False)),
                start_deadline=time.time() + start_timeout_s if start_timeout_s else None,
            )
        )
        logger.info("job %s queued for %s", job.request_id, endpoint_id)
        return job

    def get_for(self, request_id: str, owner: str) -> Job | None:
        """The job if it exists and this caller may see it (another key's job is 'not found')."""
        job = self.jobs.get(request_id)
        if job is None or (owner and job.owner != owner):
            return None
        return job

    def cancel(self, request_id: str) -> Job | None:
        """Cooperative cancel; a queued job completes (499) at once and its webhook fires."""
        job = self.jobs.request_cancel(request_id)
        self.events.notify(request_id)
        if job is not None and job.status == JobStatus.IN_QUEUE:
            done = self.jobs.get(request_id)
            if done is not None:
                self.metrics.jobs.labels(done.endpoint_id, "cancelled").inc()
                self.webhooks.send_async(done)
        return job

    def status_body(self, job: Job, base_url: str, with_logs: bool) -> dict[str, Any]:
        """fal's QueueStatus JSON for the job's current state."""
        urls = RequestUrls.build(self.settings.public_base_url or base_url, job.endpoint_id, job.request_id)
        body: dict[str, Any] = {
            "status": job.status.value,
            "request_id": job.request_id,
            "response_url": urls.response_url,
            "status_url": urls.status_url,
            "cancel_url": urls.cancel_url,
        }
        if job.status == JobStatus.IN_QUEUE:
            body["queue_position"] = self.jobs.position(job.request_id) or 0
        else:
            body["logs"] = [e.to_fal() for e in self.jobs.logs(job.request_id)] if with_logs else None
        if job.status == JobStatus.COMPLETED:
            # fal reports inference_time; megapixels (0 for a failed job) is what the job is
            # billed on, so callers can do their own cost accounting from the status alone.
            metrics: dict[str, Any] = {"inference_time": job.inference_time}
            if job.megapixels is not None:
                metrics["megapixels"] = job.megapixels
            body["metrics"] = metrics
            if job.result_status is not None and job.result_status >= 400:
                body["error"] = job.error
                body["error_type"] = job.error_type
        return body
