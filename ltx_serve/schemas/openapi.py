"""fal's per-endpoint queue OpenAPI document and the `/v1/models` metadata entry.

Shapes follow fal's published documents (fal-protocol.md §6): OpenAPI 3.0.4, `info` with
`x-fal-metadata`, an `apiKeyAuth` header scheme, `QueueStatus` plus `<Pascal>Input` /
`<Pascal>Output` and the shared types in `components.schemas`, and the four queue paths
(submit, status, cancel, result). Tools generated against fal's documents therefore work
against ours unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic.json_schema import models_json_schema

from ltx_serve.schemas.openapi30 import to_openapi30
from ltx_serve.schemas.registry import EndpointSpec

OPENAPI_VERSION = "3.0.4"
_REF = "#/components/schemas/{model}"
_FAL_MODELS_URL = "https://fal.ai/models/"

QUEUE_STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "QueueStatus",
    "properties": {
        "status": {"type": "string", "enum": ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]},
        "request_id": {"type": "string", "description": "The request id."},
        "response_url": {"type": "string", "description": "The response url."},
        "status_url": {"type": "string", "description": "The status url."},
        "cancel_url": {"type": "string", "description": "The cancel url."},
        "logs": {"type": "object", "description": "The logs.", "additionalProperties": True},
        "metrics": {"type": "object", "description": "The metrics.", "additionalProperties": True},
        "queue_position": {"type": "integer", "description": "The queue position."},
    },
    "required": ["status", "request_id"],
}


def component_schemas(spec: EndpointSpec) -> dict[str, Any]:
    """`components.schemas` for one endpoint: QueueStatus, `<Pascal>Input/Output`, shared types."""
    key_map, top = models_json_schema(
        [(spec.input_model, "validation"), (spec.output_model, "serialization")],
        ref_template=_REF,
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    renames = {
        _ref_name(key_map[(spec.input_model, "validation")]): f"{spec.schema_name}Input",
        _ref_name(key_map[(spec.output_model, "serialization")]): f"{spec.schema_name}Output",
    }
    schemas = {renames.get(name, name): schema for name, schema in schemas.items()}
    schemas = _rewrite_refs(schemas, {_REF.format(model=a): _REF.format(model=b) for a, b in renames.items()})
    for new in renames.values():
        schemas[new]["title"] = new
    return {
        "QueueStatus": copy.deepcopy(QUEUE_STATUS_SCHEMA),
        **{k: to_openapi30(v) for k, v in schemas.items()},
    }


def queue_openapi_document(spec: EndpointSpec, base_url: str, queue_path: str = "/queue") -> dict[str, Any]:
    """The document fal serves at `/api/openapi/queue/openapi.json?endpoint_id=<id>`.

    `base_url` is this server's root (e.g. `http://host:8000`); the `servers` entry points at
    the queue root under it (`queue_path`), where `POST /{endpoint_id}` submits.
    """
    name = spec.schema_name
    request_id = {
        "name": "request_id",
        "in": "path",
        "required": True,
        "description": "Request ID",
        "schema": {"type": "string"},
    }
    base = f"/{spec.endpoint_id}"
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"Queue OpenAPI for {spec.endpoint_id}",
            "version": "1.0.0",
            "description": spec.description,
            "x-fal-metadata": {
                "endpointId": spec.endpoint_id,
                "category": spec.category,
                "thumbnailUrl": "",
                "playgroundUrl": f"{_FAL_MODELS_URL}{spec.endpoint_id}",
                "documentationUrl": f"{_FAL_MODELS_URL}{spec.endpoint_id}/api",
            },
        },
        "components": {
            "securitySchemes": {
                "apiKeyAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": 'Fal Key, sent as "Key <FAL_KEY>"',
                }
            },
            "schemas": component_schemas(spec),
        },
        "paths": {
            base: {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(f"{name}Input")}},
                    },
                    "responses": {"200": _json_response("The request status.", _ref("QueueStatus"))},
                }
            },
            f"{base}/requests/{{request_id}}/status": {
                "get": {
                    "parameters": [
                        request_id,
                        {
                            "name": "logs",
                            "in": "query",
                            "required": False,
                            "description": "Whether to include logs (`1`) in the response or not (`0`).",
                            "schema": {"type": "number"},
                        },
                    ],
                    "responses": {"200": _json_response("The request status.", _ref("QueueStatus"))},
                }
            },
            f"{base}/requests/{{request_id}}/cancel": {
                "put": {
                    "parameters": [request_id],
                    "responses": {
                        "200": _json_response(
                            "The request was cancelled.",
                            {
                                "type": "object",
                                "properties": {
                                    "success": {
                                        "type": "boolean",
                                        "description": "Whether the request was cancelled successfully.",
                                    }
                                },
                            },
                        )
                    },
                }
            },
            f"{base}/requests/{{request_id}}": {
                "get": {
                    "parameters": [request_id],
                    "responses": {"200": _json_response("Result of the request.", _ref(f"{name}Output"))},
                }
            },
        },
        "servers": [{"url": base_url.rstrip("/") + queue_path}],
        "security": [{"apiKeyAuth": []}],
    }


def model_metadata(spec: EndpointSpec, expand_openapi: bool, base_url: str) -> dict[str, Any]:
    """One entry of `GET /v1/models` (`{endpoint_id, metadata, openapi?}`)."""
    entry: dict[str, Any] = {
        "endpoint_id": spec.endpoint_id,
        "metadata": {
            "display_name": spec.display_name,
            "category": spec.category,
            "description": spec.description,
            "status": "active",
            "tags": list(spec.tags),
            "kind": "inference",
            "model_url": f"{base_url.rstrip('/')}/{spec.endpoint_id}",
            "thumbnail_url": None,
            "license_type": "commercial",
        },
    }
    if expand_openapi:
        entry["openapi"] = queue_openapi_document(spec, base_url)
    return entry


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(model=name)}


def _ref_name(ref_schema: dict[str, Any]) -> str:
    return str(ref_schema["$ref"]).rsplit("/", 1)[-1]


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _rewrite_refs(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: (mapping.get(v, v) if k == "$ref" and isinstance(v, str) else _rewrite_refs(v, mapping))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, mapping) for item in node]
    return node
