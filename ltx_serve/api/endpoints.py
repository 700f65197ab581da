"""Route generation from the endpoint registry: one typed route per endpoint and surface.

Bodies are validated by `ltx_serve.schemas.validate_input` (the one source of fal's 422
shape), not by FastAPI, so the route only *declares* the Input model for `/docs`:
`openapi_extra` points at `#/components/schemas/<Input>` and `install_model_schemas` puts
every Input model into the app's OpenAPI components.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response

from ltx_serve.errors import RequestError, ValidationFailed
from ltx_serve.schemas import ENDPOINTS, EndpointSpec, get_endpoint, validate_input

Handler = Callable[[Request, EndpointSpec], Awaitable[Response]]


async def read_input(request: Request, spec: EndpointSpec) -> dict[str, Any]:
    """The JSON body, size-capped and validated against the endpoint's Input model."""
    limit = request.app.state.settings.body_max_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestError(
            f"Request body too large ({declared} bytes; limit {limit}). Upload files instead.", 413
        )
    raw = await request.body()
    if len(raw) > limit:
        raise RequestError(f"Request body too large (limit {limit} bytes). Upload files instead.", 413)
    try:
        payload = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ValidationFailed(
            [
                {
                    "loc": ["body", exc.args[0] if exc.args else 0],
                    "msg": "JSON decode error",
                    "type": "json_invalid",
                }
            ]
        ) from exc
    if not isinstance(payload, dict):
        raise ValidationFailed(
            [{"loc": ["body"], "msg": "Input should be a JSON object", "type": "model_type"}]
        )
    validate_input(spec, payload)
    return payload


def add_endpoint_routes(
    router: APIRouter, prefix: str, handler: Handler, tag: str, summary: str, response_model: Any = None
) -> None:
    """Register `POST {prefix}/{endpoint_id}` for every endpoint in the registry."""
    for spec in ENDPOINTS:
        router.add_api_route(
            f"{prefix}/{spec.endpoint_id}",
            _bind(handler, spec),
            methods=["POST"],
            name=f"{tag}:{spec.endpoint_id}",
            summary=f"{summary}: {spec.display_name}",
            description=spec.description,
            tags=[tag],
            response_model=response_model,
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{spec.input_model.__name__}"}
                        }
                    },
                },
            },
        )


def add_unknown_endpoint_route(router: APIRouter, prefix: str) -> None:
    """After the typed routes: any other id gets the registry's 404 naming the served ids."""

    async def unknown(endpoint_id: str) -> Response:
        get_endpoint(endpoint_id)  # raises UnknownEndpoint (404)
        raise RequestError(f"Path {prefix}/{endpoint_id} not found", 404)  # pragma: no cover

    router.add_api_route(f"{prefix}/{{endpoint_id:path}}", unknown, methods=["POST"], include_in_schema=False)


def _bind(handler: Handler, spec: EndpointSpec) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, spec)

    return endpoint


def install_model_schemas(app: FastAPI) -> None:
    """Extend the app's OpenAPI with every Input/Output model (for the declared bodies)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for spec in ENDPOINTS:
            for model in (spec.input_model, spec.output_model):
                model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(model_schema.pop("$defs", {}))
                components[model.__name__] = model_schema
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
