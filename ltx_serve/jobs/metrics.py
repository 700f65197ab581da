"""Prometheus collectors for the job system (the HTTP ones live in `api/metrics.py`).

Each app gets its own `CollectorRegistry`, so several apps in one process (tests) never
collide on metric names.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, float("inf"))


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.queue_depth = Gauge("ltx_queue_depth", "Jobs waiting in the queue.", registry=registry)
        self.running = Gauge("ltx_jobs_running", "Jobs running on the GPU worker.", registry=registry)
        self.duration = Histogram(
            "ltx_job_duration_seconds",
            "Run time of finished jobs (start to end, queue wait excluded).",
            ["endpoint", "outcome"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.queue_wait = Histogram(
            "ltx_job_queue_wait_seconds",
            "Time jobs waited in the queue before starting.",
            ["endpoint"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.megapixels = Counter(
            "ltx_generated_megapixels",
            "Megapixels generated (width x height x frames / 1e6), fal's billing unit.",
            ["endpoint"],
            registry=registry,
        )
        self.jobs = Counter(
            "ltx_jobs", "Finished jobs by endpoint and outcome.", ["endpoint", "outcome"], registry=registry
        )

    def bind_gauges(self, depth: Callable[[], int], running: Callable[[], int]) -> None:
        """Read the gauges from the queue itself at scrape time: always exact, never drifting."""
        self.queue_depth.set_function(depth)
        self.running.set_function(running)


def outcome_label(status_code: int) -> str:
    if status_code < 400:
        return "ok"
    if status_code == 499:
        return "cancelled"
    if status_code < 500:
        return "client_error"
    return "error"
