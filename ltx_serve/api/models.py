"""Model metadata, mirroring fal's platform API and its per-endpoint OpenAPI URL.

- `GET /v1/models[?endpoint_id=...][&expand=openapi-3.0][&q=...&category=...&limit=&cursor=]`
- `GET /v1/models/pricing[?endpoint_id=...]`: fal's per-unit prices (`unit: "megapixels"`),
  from the registry; an endpoint whose fal price is not published is left out.
- `GET /openapi/queue/openapi.json?endpoint_id=...` (also under `/api/`, as on fal.ai)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from ltx_serve.api import deps
from ltx_serve.errors import RequestError
from ltx_serve.schemas import ENDPOINTS, get_endpoint
from ltx_serve.schemas.openapi import model_metadata, queue_openapi_document


def router() -> APIRouter:
    r = APIRouter(tags=["models"], dependencies=[Depends(deps.owner)])

    @r.get("/v1/models", summary="List, find or search the served models")
    async def models(
        request: Request,
        endpoint_id: list[str] | None = Query(None),
        expand: list[str] | None = Query(None),
        q: str | None = None,
        category: str | None = None,
        limit: int = Query(50, ge=1, le=100),
        cursor: str | None = None,
    ) -> dict[str, Any]:
        expand_openapi = any(e in ("openapi-3.0", "openapi") for e in expand or [])
        base = deps.base_url(request)
        if endpoint_id:
            specs = [get_endpoint(e) for e in endpoint_id]
        else:
            specs = [
                s
                for s in ENDPOINTS
                if (category is None or s.category == category)
                and (q is None or q.lower() in f"{s.endpoint_id} {s.display_name} {s.description}".lower())
            ]
        try:
            start = int(cursor or 0)
        except ValueError as exc:
            raise RequestError(
                "Invalid cursor: pass back the next_cursor of the previous page.", 400
            ) from exc
        page = specs[start : start + limit]
        more = start + limit < len(specs)
        return {
            "models": [model_metadata(s, expand_openapi, base) for s in page],
            "next_cursor": str(start + limit) if more else None,
            "has_more": more,
        }

    @r.get("/v1/models/pricing", summary="fal's published price of each served endpoint")
    async def pricing(endpoint_id: list[str] | None = Query(None)) -> dict[str, Any]:
        specs = deps.endpoint_filter(endpoint_id) or ENDPOINTS
        prices = [
            {
                "endpoint_id": s.endpoint_id,
                "unit_price": s.price_per_megapixel,
                "unit": "megapixels",
                "currency": "USD",
            }
            for s in specs
            if s.price_per_megapixel is not None
        ]
        return {"prices": prices, "next_cursor": None, "has_more": False}

    async def openapi_doc(request: Request, endpoint_id: str = Query(...)) -> dict[str, Any]:
        return queue_openapi_document(get_endpoint(endpoint_id), deps.base_url(request))

    for path in ("/openapi/queue/openapi.json", "/api/openapi/queue/openapi.json"):
        r.add_api_route(path, openapi_doc, methods=["GET"], summary="Queue OpenAPI document of one endpoint")
    return r
