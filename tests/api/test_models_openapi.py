"""Metadata: /v1/models, per-endpoint queue OpenAPI, and the app's own /openapi.json + /docs."""

from __future__ import annotations

import httpx

from ltx_serve.schemas import ENDPOINTS
from tests.api.conftest import ENDPOINT


def test_models_list_find_and_expand(client: httpx.Client) -> None:
    listed = client.get("/v1/models").json()
    assert {m["endpoint_id"] for m in listed["models"]} == {s.endpoint_id for s in ENDPOINTS}
    assert listed["has_more"] is False and listed["next_cursor"] is None
    assert all("openapi" not in m for m in listed["models"])
    found = client.get("/v1/models", params={"endpoint_id": ENDPOINT, "expand": "openapi-3.0"}).json()
    (model,) = found["models"]
    assert model["endpoint_id"] == ENDPOINT
    assert model["metadata"]["display_name"]
    assert model["openapi"]["openapi"].startswith("3.0")
    page = client.get("/v1/models", params={"limit": 1}).json()
    assert len(page["models"]) == 1 and page["has_more"] is True
    nxt = client.get("/v1/models", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert nxt["models"][0]["endpoint_id"] != page["models"][0]["endpoint_id"]
    assert client.get("/v1/models", params={"endpoint_id": "fal-ai/nope"}).status_code == 404


def test_queue_openapi_document_per_endpoint(client: httpx.Client, live) -> None:
    for path in ("/openapi/queue/openapi.json", "/api/openapi/queue/openapi.json"):
        doc = client.get(path, params={"endpoint_id": ENDPOINT})
        assert doc.status_code == 200
        body = doc.json()
        assert ENDPOINT in body["info"]["title"]
        assert any(s["url"].startswith(live.base_url) for s in body["servers"])
    assert client.get("/openapi/queue/openapi.json").status_code == 422


def test_app_openapi_declares_each_input_model(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    for spec in ENDPOINTS:
        for path in (f"/{spec.endpoint_id}", f"/run/{spec.endpoint_id}", f"/queue/{spec.endpoint_id}"):
            body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            name = body["$ref"].rsplit("/", 1)[-1]
            assert name == spec.input_model.__name__
            assert "prompt" in schema["components"]["schemas"][name]["properties"]
    assert client.get("/docs").status_code == 200
