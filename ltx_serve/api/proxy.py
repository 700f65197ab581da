"""`/fal/proxy`: the server side of `@fal-ai/client`'s `proxyUrl`.

With `fal.config({proxyUrl: {url: "<server>/fal/proxy", when: "always"}})` the JS client
sends every call here with the real fal URL in `x-fal-target-url` (method and body kept).
We map that URL onto our own routes (`fal.run` -> `/run`, `queue.fal.run` -> `/queue`,
`rest.fal.ai` -> `/rest`, `v3.fal.media` -> `/cdn`) and dispatch in-process by rewriting the
ASGI scope, so proxied calls get exactly the same handlers, auth and metrics as direct ones.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import APIRouter
from starlette.types import ASGIApp, Receive, Scope, Send

TARGET_HEADER = b"x-fal-target-url"
PROXY_PATHS = frozenset({"/fal/proxy", "/api/fal/proxy"})

_HOST_PREFIX = {
    "fal.run": "/run",
    "queue.fal.run": "/queue",
    "rest.fal.ai": "/rest",
    "rest.alpha.fal.ai": "/rest",
    "v3.fal.media": "/cdn",
}


def map_target(url: str) -> tuple[str, str] | None:
    """(local path, query string) for a fal URL, or None when it is not a fal host."""
    parts = urlsplit(url)
    prefix = _HOST_PREFIX.get((parts.hostname or "").lower())
    if prefix is None:
        return None
    return prefix + (parts.path or "/"), parts.query


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FalProxyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PROXY_PATHS:
            await self.app(scope, receive, send)
            return
        target = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == TARGET_HEADER), None)
        if not target:
            await _reply(send, 400, "Invalid request")
            return
        mapped = map_target(target)
        if mapped is None:
            await _reply(
                send,
                412,
                f"Invalid x-fal-target-url {target!r}: only fal.run, queue.fal.run and "
                "rest.fal.ai URLs can be proxied.",
            )
            return
        path, query = mapped
        scope["path"] = path
        scope["raw_path"] = path.encode("utf-8")
        scope["query_string"] = query.encode("latin-1")
        await self.app(scope, receive, send)


def router() -> APIRouter:
    """Documents the proxy route in /docs; requests are answered by the middleware."""
    r = APIRouter(tags=["proxy"])

    async def proxy_doc() -> None:  # pragma: no cover - the middleware answers first
        return None

    for method in ("GET", "POST", "PUT"):
        r.add_api_route(
            "/fal/proxy",
            proxy_doc,
            methods=[method],
            operation_id=f"fal_proxy_{method.lower()}",
            summary="@fal-ai/client proxy (dispatches on the x-fal-target-url header)",
        )
    return r
