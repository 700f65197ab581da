"""File storage in the shapes `fal_client.upload*` and JS `fal.storage.upload` expect.

- `POST /rest/storage/auth/token` -> a CDN token (Python's first step).
- `POST /cdn/files/upload` (raw body) -> `{access_url}` (Python, <= 100 MB).
- `POST /cdn/files/upload/multipart` -> `{access_url, uploadId}`; then
  `PUT {access_url}/multipart/{uploadId}/{n}` and `POST .../complete` (Python, > 100 MB).
- `POST /rest/storage/upload/initiate[-multipart]` -> `{upload_url, file_url}`; then a raw
  `PUT upload_url` (JS <= 90 MB, Python's fallback) or `PUT {upload_url}/{n}` +
  `POST {upload_url}/complete` (JS > 90 MB).
- `GET /files/{id}[/{name}]` serves any stored file, with Range support.

Upload ids are 128-bit random and act as the write capability of the PUT targets (the JS
client PUTs them without credentials, like presigned URLs). Part PUTs answer both an
`ETag` header (Python reads it) and a `{partNumber, etag}` JSON body (JS reads that).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from ltx_serve.api import deps
from ltx_serve.errors import RequestError
from ltx_serve.storage.files import FileStore
from ltx_serve.storage.tokens import TOKEN_TYPE, TokenSigner


def _files(request: Request) -> FileStore:
    return deps.service(request).files


async def _read_body(request: Request) -> bytes:
    """The raw body, refused with 413 as soon as it passes the upload cap."""
    limit = _files(request).max_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestError(f"File too large: {declared} bytes; this server accepts at most {limit}.", 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(f"File too large; this server accepts at most {limit} bytes.", 413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise RequestError("Expected a JSON body.", 400) from exc
    return data if isinstance(data, dict) else {}


def rest_router() -> APIRouter:
    r = APIRouter(prefix="/rest/storage", tags=["storage"])

    @r.post("/auth/token", summary="CDN upload token (fal_client)")
    async def token(request: Request) -> JSONResponse:
        owner = deps.owner(request)
        signer: TokenSigner = request.app.state.tokens
        issued = signer.issue(owner)
        return JSONResponse(
            {
                "token": issued.token,
                "token_type": TOKEN_TYPE,
                "base_url": f"{deps.base_url(request)}/cdn",
                # fromisoformat() on Python < 3.11 rejects "Z": send +00:00.
                "expires_at": datetime.fromtimestamp(issued.expires_at, UTC).isoformat(),
            }
        )

    async def initiate(request: Request, multipart: bool) -> JSONResponse:
        owner = deps.owner(request)
        body = await _json_body(request)
        session = _files(request).start_upload(
            body.get("file_name"), body.get("content_type"), owner, multipart=multipart
        )
        base = deps.base_url(request)
        return JSONResponse(
            {
                "upload_url": f"{base}/rest/storage/uploads/{session.upload_id}",
                "file_url": f"{base}/files/{session.file_id}/{session.name}",
            }
        )

    @r.post("/upload/initiate", summary="Start an upload (JS client, Python fallback)")
    async def initiate_single(request: Request) -> JSONResponse:
        return await initiate(request, multipart=False)

    @r.post("/upload/initiate-multipart", summary="Start a multipart upload (JS client)")
    async def initiate_multipart(request: Request) -> JSONResponse:
        return await initiate(request, multipart=True)

    @r.put("/uploads/{upload_id}", summary="Upload target of /upload/initiate")
    async def put_single(request: Request, upload_id: str) -> Response:
        data = await _read_body(request)
        await asyncio.to_thread(_files(request).write_single, upload_id, data)
        return Response(status_code=200)

    @r.put("/uploads/{upload_id}/{part_number}", summary="One part of a multipart upload")
    async def put_part(request: Request, upload_id: str, part_number: int) -> JSONResponse:
        return await _write_part(request, upload_id, part_number)

    @r.post("/uploads/{upload_id}/complete", summary="Finish a multipart upload")
    async def complete(request: Request, upload_id: str) -> JSONResponse:
        return await _complete(request, upload_id)

    return r


async def _write_part(request: Request, upload_id: str, part_number: int) -> JSONResponse:
    data = await _read_body(request)
    etag = await asyncio.to_thread(_files(request).write_part, upload_id, part_number, data)
    return JSONResponse({"partNumber": part_number, "etag": etag}, headers={"ETag": etag})


async def _complete(request: Request, upload_id: str) -> JSONResponse:
    body = await _json_body(request)
    parts = body.get("parts") or []
    numbers = [int(p["partNumber"]) for p in parts if isinstance(p, dict) and "partNumber" in p]
    stored = await asyncio.to_thread(_files(request).complete_multipart, upload_id, numbers or None)
    return JSONResponse({"access_url": stored.url(deps.base_url(request))})


def cdn_router() -> APIRouter:
    r = APIRouter(prefix="/cdn", tags=["storage"])

    @r.post("/files/upload", summary="Single-request upload (fal_client)")
    async def upload(request: Request) -> JSONResponse:
        owner = deps.upload_owner(request)
        data = await _read_body(request)
        stored = await asyncio.to_thread(
            _files(request).put_bytes,
            data,
            request.headers.get("x-fal-file-name"),
            request.headers.get("content-type"),
            owner,
        )
        return JSONResponse({"access_url": stored.url(deps.base_url(request))})

    @r.post("/files/upload/multipart", summary="Start a multipart upload (fal_client)")
    async def multipart(request: Request) -> JSONResponse:
        owner = deps.upload_owner(request)
        session = _files(request).start_upload(
            request.headers.get("x-fal-file-name"), request.headers.get("content-type"), owner, multipart=True
        )
        return JSONResponse(
            {
                "access_url": f"{deps.base_url(request)}/files/{session.file_id}/{session.name}",
                "uploadId": session.upload_id,
            }
        )

    return r


def files_router() -> APIRouter:
    r = APIRouter(prefix="/files", tags=["files"])

    def _serve(request: Request, file_id: str) -> FileResponse:
        owner = deps.owner(request)
        stored = _files(request).get(file_id)
        if stored is None or (owner and stored.owner and stored.owner != owner):
            raise RequestError(f"File {file_id} not found (it may have expired).", 404)
        return FileResponse(
            stored.path,
            media_type=stored.content_type,
            filename=None,
            headers={"Cache-Control": "private, max-age=86400", "Accept-Ranges": "bytes"},
        )

    @r.get("/{file_id}", summary="Download a stored file")
    async def get_file(request: Request, file_id: str) -> FileResponse:
        return _serve(request, file_id)

    @r.get("/{file_id}/{name}", summary="Download a stored file")
    async def get_named(request: Request, file_id: str, name: str) -> FileResponse:
        return _serve(request, file_id)

    # HEAD (players and ffmpeg probe with it), kept out of the OpenAPI document.
    r.add_api_route("/{file_id}", get_file, methods=["HEAD"], include_in_schema=False)
    r.add_api_route("/{file_id}/{name}", get_named, methods=["HEAD"], include_in_schema=False)

    @r.put("/{file_id}/{name}/multipart/{upload_id}/{part_number}", summary="Multipart part (fal_client)")
    async def put_part(
        request: Request, file_id: str, name: str, upload_id: str, part_number: int
    ) -> JSONResponse:
        return await _write_part(request, upload_id, part_number)

    @r.post("/{file_id}/{name}/multipart/{upload_id}/complete", summary="Finish multipart (fal_client)")
    async def complete(request: Request, file_id: str, name: str, upload_id: str) -> JSONResponse:
        return await _complete(request, upload_id)

    return r
