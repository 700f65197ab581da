"""`/metrics` (Prometheus text format) and the HTTP request metrics middleware.

Requests are labelled by route *template* (`/queue/{app_path}/requests/{request_id}/status`),
never by raw path, so label cardinality stays bounded. Probes and /metrics itself are not
counted, as vLLM does.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SKIP = frozenset({"/metrics", "/health", "/ready"})


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "ltx_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "ltx_http_request_duration_seconds",
            "HTTP request latency by route and status (sync calls include generation time).",
            ["method", "route", "status"],
            registry=registry,
        )


class HttpMetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware), so streaming and disconnect detection are untouched."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _SKIP:
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )


def router() -> APIRouter:
    r = APIRouter(tags=["health"])

    @r.get("/metrics", summary="Prometheus metrics")
    async def metrics(request: Request) -> Response:
        registry: CollectorRegistry = request.app.state.metrics_registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return r
