"""Probes and the webhook key: `/health` (alive), `/ready` (model loaded), JWKS.

These stay open when API keys are configured: orchestrators and webhook verifiers call
them without credentials.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ltx_serve import __version__
from ltx_serve.api import deps


def router() -> APIRouter:
    r = APIRouter(tags=["health"])

    @r.get("/health", summary="Liveness: the process serves HTTP")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @r.get("/ready", summary="Readiness: 503 until the engine finished loading")
    async def ready(request: Request) -> JSONResponse:
        service = deps.service(request)
        if not service.is_ready():
            detail = (
                "Engine failed to load: " + service.engine_error if service.engine_error else "Engine loading"
            )
            return JSONResponse({"status": "loading", "detail": detail}, status_code=503)
        return JSONResponse(
            {
                "status": "ready",
                "version": __version__,
                "engine": service.engine.info(),
                "queue": {"queued": service.jobs.depth(), "running": service.jobs.running()},
            }
        )

    @r.get("/.well-known/jwks.json", summary="Public key that signs webhooks (Ed25519 JWKS)")
    async def jwks(request: Request) -> dict:
        return deps.service(request).signer.jwks()

    return r
