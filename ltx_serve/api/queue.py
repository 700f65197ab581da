"""The queue API (`queue.fal.run`), under `/queue/`.

Submit is `POST /queue/{endpoint_id}[?fal_webhook=URL]`; status, stream, result and cancel
use fal's sub-path-free form `/queue/{owner}/{app}/requests/{id}/...` (what both clients
build), and the with-sub-path form works as well because requests are looked up by id.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from ltx_serve.api import deps
from ltx_serve.api.endpoints import add_endpoint_routes, add_unknown_endpoint_route, read_input
from ltx_serve.errors import RequestError
from ltx_serve.jobs.models import Job, JobStatus
from ltx_serve.jobs.service import JobService, RequestUrls
from ltx_serve.media.fetch import UnsafeUrl, check_url_target
from ltx_serve.schemas import EndpointSpec

KEEPALIVE_S = 15


class RequestNotFound(RequestError):
    status_code = 404


def _truthy(value: str | None) -> bool:
    """`logs=1` (JS) and `logs=true` (Python/httpx) both mean yes."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


async def submit(request: Request, spec: EndpointSpec) -> Response:
    service = deps.service(request)
    owner = deps.owner(request)
    webhook = request.query_params.get("fal_webhook") or None
    if webhook is not None:
        try:
            await asyncio.to_thread(check_url_target, webhook, service.settings.allow_private_urls)
        except UnsafeUrl as exc:
            raise RequestError(f"fal_webhook is not a URL this server may call: {exc}.", 400) from exc
    payload = await read_input(request, spec)
    base = deps.base_url(request)
    job = service.submit(spec.endpoint_id, payload, owner, base, webhook, deps.start_timeout(request))
    urls = RequestUrls.build(service.settings.public_base_url or base, spec.endpoint_id, job.request_id)
    body = {
        "status": JobStatus.IN_QUEUE.value,
        "request_id": job.request_id,
        "queue_position": service.jobs.position(job.request_id) or 0,
        "response_url": urls.response_url,
        "status_url": urls.status_url,
        "cancel_url": urls.cancel_url,
        "gateway_request_id": job.request_id,
    }
    return JSONResponse(body, headers={"x-fal-request-id": job.request_id})


def _find(request: Request, request_id: str) -> tuple[JobService, Job]:
    service = deps.service(request)
    job = service.get_for(request_id, deps.owner(request))
    if job is None:
        raise RequestNotFound(f"Request {request_id} not found (it may have expired).")
    return service, job


def router() -> APIRouter:
    r = APIRouter(prefix="/queue", tags=["queue"])
    add_endpoint_routes(r, "", submit, "queue", "Submit to the queue")

    @r.get("/{app_path:path}/requests/{request_id}/status", summary="Request status")
    async def status(request: Request, request_id: str, logs: str | None = Query(None)) -> JSONResponse:
        service, job = _find(request, request_id)
        body = service.status_body(job, deps.base_url(request), _truthy(logs))
        code = 200 if job.status == JobStatus.COMPLETED else 202
        return JSONResponse(body, status_code=code, headers={"x-fal-request-id": request_id})

    @r.get("/{app_path:path}/requests/{request_id}/status/stream", summary="Request status as SSE")
    async def status_stream(
        request: Request, request_id: str, logs: str | None = Query(None)
    ) -> EventSourceResponse:
        service, _ = _find(request, request_id)
        return EventSourceResponse(
            _status_events(service, request_id, deps.base_url(request), _truthy(logs)),
            ping=KEEPALIVE_S,
            headers={"x-fal-request-id": request_id},
        )

    @r.get("/{app_path:path}/requests/{request_id}", summary="Request result")
    async def result(request: Request, request_id: str) -> Response:
        service, job = _find(request, request_id)
        headers = {"x-fal-request-id": request_id}
        if job.status != JobStatus.COMPLETED:
            return JSONResponse({"detail": "Request is still in progress"}, status_code=400, headers=headers)
        if job.result_dropped:
            detail = (
                f"The result of request {request_id} was already delivered and not kept: "
                "requests with sync_mode=true stay out of the request history."
            )
            return JSONResponse({"detail": detail}, status_code=404, headers=headers)
        if job.sync_mode:
            service.jobs.drop_result(request_id)
        return JSONResponse(
            job.result_body,
            status_code=job.result_status or 500,
            headers=deps.result_headers(job),
        )

    @r.put("/{app_path:path}/requests/{request_id}/cancel", summary="Cancel a request")
    async def cancel(request: Request, request_id: str) -> JSONResponse:
        service, job = _find(request, request_id)
        if job.status == JobStatus.COMPLETED:
            return JSONResponse({"status": "ALREADY_COMPLETED"}, status_code=400)
        service.cancel(request_id)
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)

    add_unknown_endpoint_route(r, "")
    return r


async def _status_events(
    service: JobService, request_id: str, base_url: str, with_logs: bool
) -> AsyncIterator[ServerSentEvent]:
    """One `data:` event per change; logs are sent incrementally (JS concatenates them)."""
    last: dict[str, Any] | None = None
    sent_logs = 0
    while True:
        job = service.jobs.get(request_id)
        if job is None:
            return
        body = service.status_body(job, base_url, with_logs=False)
        if with_logs and job.status != JobStatus.IN_QUEUE:
            new = service.jobs.logs(request_id, since=sent_logs)
            sent_logs += len(new)
            body["logs"] = [e.to_fal() for e in new]
        comparable = {k: v for k, v in body.items() if k != "logs"}
        if comparable != last or body.get("logs"):
            last = comparable
            yield ServerSentEvent(data=json.dumps(body))
        if job.status == JobStatus.COMPLETED:
            return
        await service.events.wait(request_id, 1.0)
