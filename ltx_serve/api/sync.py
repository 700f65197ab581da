"""Synchronous calls (`fal.run`): `POST /{endpoint_id}` and `POST /run/{endpoint_id}`.

A sync call is a queue job whose HTTP request waits for it: it takes its place in the same
FIFO (so queue positions stay exact and the GPU runs one job at a time), and the answer is
the job's own status code and body plus `x-fal-request-id`. If the client goes away first
the job is cancelled, as fal does for dropped `run()` connections.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ltx_serve.api import deps
from ltx_serve.api.endpoints import add_endpoint_routes, add_unknown_endpoint_route, read_input
from ltx_serve.api.errors import NO_BILL
from ltx_serve.jobs.models import JobStatus
from ltx_serve.schemas import EndpointSpec

logger = logging.getLogger(__name__)

# How often a waiting sync call checks whether its client disconnected.
DISCONNECT_POLL_S = 0.5


async def run_sync(request: Request, spec: EndpointSpec) -> Response:
    service = deps.service(request)
    owner = deps.owner(request)
    payload = await read_input(request, spec)
    job = service.submit(
        spec.endpoint_id, payload, owner, deps.base_url(request), start_timeout_s=deps.start_timeout(request)
    )
    request_id = job.request_id
    while True:
        current = service.jobs.get(request_id)
        if current is not None and current.status == JobStatus.COMPLETED:
            break
        if await request.is_disconnected():
            logger.info("client of sync request %s disconnected; cancelling it", request_id)
            service.cancel(request_id)
            return Response(status_code=499, headers={"x-fal-request-id": request_id, **NO_BILL})
        await service.events.wait(request_id, DISCONNECT_POLL_S)
    if current.sync_mode:
        service.jobs.drop_result(request_id)
    return JSONResponse(
        current.result_body,
        status_code=current.result_status or 500,
        headers=deps.result_headers(current),
    )


def router() -> APIRouter:
    r = APIRouter()
    add_endpoint_routes(r, "", run_sync, "sync", "Run and wait")
    add_endpoint_routes(r, "/run", run_sync, "sync (/run prefix)", "Run and wait")
    add_unknown_endpoint_route(r, "/run")
    add_unknown_endpoint_route(r, "")
    return r
