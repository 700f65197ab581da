"""`GET /playground`: a page for every served endpoint, built in the browser from this
server's own `/v1/models?expand=openapi-3.0`, that runs requests through the public queue
protocol (submit, SSE status stream, cancel, result) and reads the key's request history.

The page is a static shell (`ltx_serve/playground/static`) that holds no data, so it is
served without a key, like `/docs`; every call it makes for data carries the key the user
types into it (kept in the browser's localStorage, sent as `Authorization: Key ...`), so a
server with API keys shows each key only its own requests and files. Its Content-Security-
Policy allows scripts, styles, fonts and API calls from this origin only: the page works
with no network beyond this server. Media inputs given as other URLs may still be previewed.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_PATH = "/playground/static"

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: blob: http: https:",
        "media-src 'self' data: blob: http: https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
# Revalidate on every load (ETags make that a 304): an upgraded server never runs old modules.
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


class _StaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(_HEADERS)
        return response


def router() -> APIRouter:
    r = APIRouter(tags=["playground"])
    page = files("ltx_serve.playground").joinpath("static", "index.html")

    @r.get("/playground", include_in_schema=False)
    async def playground() -> HTMLResponse:
        return HTMLResponse(
            page.read_text(encoding="utf-8"), headers={**_HEADERS, "Content-Security-Policy": CSP}
        )

    return r


def mount_static(app: FastAPI) -> None:
    app.mount(
        STATIC_PATH,
        _StaticFiles(packages=[("ltx_serve.playground", "static")]),
        name="playground-static",
    )
