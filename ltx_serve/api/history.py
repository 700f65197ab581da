"""A key's request history, in the shape of fal's platform API
`GET /v1/models/requests/by-endpoint` (what the playground's history and compare views read).

fal's fields: `items[]` of `{request_id, endpoint_id, sent_at, started_at, ended_at,
status_code, duration}`, `json_input`/`json_output` with `expand=payloads`, `billable_units`
with `expand=billing`, and `next_cursor`/`has_more`. Differences, all additive: `endpoint_id`
is optional (repeat it or separate ids with commas to filter), requests still queued or
running are listed too (`status`, fal's queue state), and each item carries `metrics`
(`inference_time`, `megapixels`), `error`/`error_type` for a failed request, and `extras`:
what the job made beside fal's output (stage `timings`, the `control_video` a reference
endpoint was guided by). Newest submission first; everything the retention keeps
(fal's `start`/`end`/`status`/`sort_by` filters are not implemented). A key sees only its own
requests; `sync_mode` requests are never listed, as on fal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from ltx_serve.api import deps
from ltx_serve.errors import RequestError
from ltx_serve.jobs.models import Job, JobStatus


def _iso(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp is not None else None


def history_item(job: Job, payloads: bool, billing: bool) -> dict[str, Any]:
    """One `items[]` entry."""
    done = job.status == JobStatus.COMPLETED
    item: dict[str, Any] = {
        "request_id": job.request_id,
        "endpoint_id": job.endpoint_id,
        "status": job.status.value,
        "sent_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "ended_at": _iso(job.finished_at),
        "status_code": job.result_status if done else None,
        "duration": job.finished_at - job.created_at if job.finished_at is not None else None,
        "metrics": {"inference_time": job.inference_time, "megapixels": job.megapixels},
        "extras": job.extras or {},
    }
    if done and job.result_status is not None and job.result_status >= 400:
        item["error"], item["error_type"] = job.error, job.error_type
    if payloads:
        item["json_input"] = job.payload
        item["json_output"] = job.result_body if done and not job.result_dropped else None
    if billing:
        item["billable_units"] = job.billable_units
    return item


def router() -> APIRouter:
    r = APIRouter(tags=["models"])

    @r.get("/v1/models/requests/by-endpoint", summary="This key's requests, newest first")
    async def requests(
        request: Request,
        owner: str = Depends(deps.owner),
        endpoint_id: list[str] | None = Query(None),
        request_id: str | None = None,
        expand: list[str] | None = Query(None),
        limit: int = Query(50, ge=1, le=100),
        cursor: str | None = None,
    ) -> dict[str, Any]:
        service = deps.service(request)
        wanted = {e.strip() for value in expand or [] for e in value.split(",")}
        payloads, billing = "payloads" in wanted, "billing" in wanted
        endpoints = tuple(spec.endpoint_id for spec in deps.endpoint_filter(endpoint_id))
        if request_id is not None:
            job = service.get_for(request_id, owner)
            listed = job is not None and not job.sync_mode and (not endpoints or job.endpoint_id in endpoints)
            jobs, next_cursor = ((job,) if listed and job else ()), None
        else:
            try:
                page = service.jobs.history(owner, limit, cursor, endpoints)
            except ValueError as exc:
                raise RequestError(
                    "Invalid cursor: pass back the next_cursor of the previous page.", 400
                ) from exc
            jobs, next_cursor = page.jobs, page.next_cursor
        return {
            "items": [history_item(job, payloads, billing) for job in jobs],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        }

    return r
