"""`create_app(settings, engine)`: the FastAPI application (vLLM-style factory).

Routers are per surface under `ltx_serve/api/`; shared objects live in `app.state`
(settings, the job service, the upload-token signer, the metrics registry). The lifespan
starts the job worker and loads the engine in the background, so the port is open at once
and `/ready` answers 503 until the model is loaded. Importing this module never imports
torch: the engine is built by the caller (`ltx_serve.server`) or injected by tests.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ltx_serve import __version__
from ltx_serve.api import health, history, metrics, models, playground, proxy, queue, storage, sync
from ltx_serve.api.endpoints import install_model_schemas
from ltx_serve.api.errors import install_error_handlers
from ltx_serve.config import Settings
from ltx_serve.engine.protocol import Engine
from ltx_serve.jobs.service import JobService
from ltx_serve.logs import request_id_var
from ltx_serve.storage.tokens import TokenSigner

logger = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Binds an id to each HTTP request's logs (client `x-request-id` or a new one) and
    echoes it back as `x-request-id`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = (incoming or uuid.uuid4().hex)[:64]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        token = request_id_var.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """Build the app. Nothing starts until the ASGI lifespan runs (uvicorn or a test client)."""
    api_keys = settings.resolved_api_keys()
    registry = CollectorRegistry(auto_describe=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = JobService(settings, engine, registry)
        app.state.jobs = service
        service.start()
        logger.info(
            "ltx-serve %s: data in %s, %d API key(s)%s",
            __version__,
            settings.data_dir,
            len(api_keys),
            ", private URLs allowed" if settings.allow_private_urls else "",
        )
        try:
            yield
        finally:
            logger.info(
                "shutting down: no new jobs; waiting up to %.0fs for the running one",
                settings.shutdown_grace_s,
            )
            service.stop()

    app = FastAPI(
        title="ltx-serve",
        version=__version__,
        description="On-prem, fal.ai-compatible server for Lightricks LTX-2.3.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.api_keys = api_keys
    app.state.tokens = TokenSigner(settings.data_dir)
    app.state.metrics_registry = registry
    install_error_handlers(app)

    app.include_router(health.router())
    app.include_router(metrics.router())
    app.include_router(models.router())
    app.include_router(history.router())
    app.include_router(queue.router())
    app.include_router(storage.rest_router())
    app.include_router(storage.cdn_router())
    app.include_router(storage.files_router())
    app.include_router(proxy.router())
    app.include_router(sync.router())
    app.include_router(playground.router())
    playground.mount_static(app)
    install_model_schemas(app)

    # Outermost last: request id -> HTTP metrics -> proxy rewrite -> routes.
    app.add_middleware(proxy.FalProxyMiddleware)
    app.add_middleware(metrics.HttpMetricsMiddleware, metrics=metrics.HttpMetrics(registry))
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["x-fal-request-id", "x-request-id"],
        )
    return app
