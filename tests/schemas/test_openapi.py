"""fal's per-endpoint queue OpenAPI documents and `/v1/models` entries: valid OpenAPI 3.0
(checked by openapi-spec-validator), fal's names and paths, every field present."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from ltx_serve.schemas import EndpointSpec, get_endpoint
from ltx_serve.schemas.openapi import model_metadata, queue_openapi_document

from .conftest import RV2V_LORA, V2V_22B

BASE = "http://gpu-box:8000"


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_document_is_valid_openapi_3_0(spec: EndpointSpec) -> None:
    document = queue_openapi_document(spec, BASE)
    assert document["openapi"] == "3.0.4"
    validate(document)
    json.dumps(document)


def test_validator_catches_3_1_only_constructs() -> None:
    """Negative control: the raw pydantic output (3.1 style) is what the conversion removes."""
    document = queue_openapi_document(get_endpoint(RV2V_LORA), BASE)
    broken = copy.deepcopy(document)
    prompt = broken["components"]["schemas"]["Ltx23QualityReferenceVideoToVideoLoraInput"]["properties"][
        "prompt"
    ]
    prompt["examples"] = ["a list is 3.1 syntax"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_no_json_schema_2020_leftovers(spec: EndpointSpec) -> None:
    document = queue_openapi_document(spec, BASE)
    schemas = document["components"]["schemas"]
    for node in _walk(document):
        assert "$defs" not in node and "const" not in node
        assert node.get("type") != "null"
        if "$ref" in node:
            assert set(node) == {"$ref"}, node
            assert node["$ref"].removeprefix("#/components/schemas/") in schemas
        if "exclusiveMinimum" in node:
            assert node["exclusiveMinimum"] is True


def test_fal_names_metadata_and_paths(spec: EndpointSpec) -> None:
    document = queue_openapi_document(spec, BASE)
    name = spec.schema_name
    schemas = document["components"]["schemas"]
    assert {"QueueStatus", f"{name}Input", f"{name}Output", "VideoFile"} <= set(schemas)
    assert document["info"]["x-fal-metadata"]["endpointId"] == spec.endpoint_id
    assert document["info"]["x-fal-metadata"]["category"] == spec.category
    assert document["components"]["securitySchemes"]["apiKeyAuth"]["name"] == "Authorization"
    assert document["servers"] == [{"url": f"{BASE}/queue"}]
    base = f"/{spec.endpoint_id}"
    assert document["paths"].keys() == {
        base,
        f"{base}/requests/{{request_id}}/status",
        f"{base}/requests/{{request_id}}/cancel",
        f"{base}/requests/{{request_id}}",
    }
    submit = document["paths"][base]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{name}Input"
    }
    result = document["paths"][f"{base}/requests/{{request_id}}"]["get"]
    assert result["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{name}Output"
    }


def test_every_field_is_documented_in_order(spec: EndpointSpec) -> None:
    schemas = queue_openapi_document(spec, BASE)["components"]["schemas"]
    for model, key in ((spec.input_model, "Input"), (spec.output_model, "Output")):
        schema = schemas[f"{spec.schema_name}{key}"]
        assert list(schema["properties"]) == list(model.model_fields)
        assert schema["x-fal-order-properties"] == list(model.model_fields)
        for prop in schema["properties"].values():
            assert prop.get("description"), prop


def test_size_union_is_an_any_of_preset_or_object() -> None:
    schemas = queue_openapi_document(get_endpoint(V2V_22B), BASE)["components"]["schemas"]
    video_size = schemas["Ltx2322bVideoToVideoInput"]["properties"]["video_size"]
    refs = {item["$ref"].rsplit("/", 1)[-1] for item in video_size["anyOf"]}
    assert refs == {"ImageSize", "VideoSizePreset"}
    assert video_size["default"] == "auto"
    assert schemas["ImageSize"]["properties"]["width"]["maximum"] == 14142


def test_optional_fields_become_nullable() -> None:
    schemas = queue_openapi_document(get_endpoint(RV2V_LORA), BASE)["components"]["schemas"]
    image_url = schemas["Ltx23QualityReferenceVideoToVideoLoraInput"]["properties"]["image_url"]
    assert image_url["type"] == "string" and image_url["nullable"] is True


def test_model_metadata_entry(spec: EndpointSpec) -> None:
    entry = model_metadata(spec, expand_openapi=False, base_url=BASE)
    assert entry["endpoint_id"] == spec.endpoint_id
    meta = entry["metadata"]
    assert (meta["display_name"], meta["category"], meta["status"]) == (
        spec.display_name,
        spec.category,
        "active",
    )
    assert "openapi" not in entry
    expanded = model_metadata(spec, expand_openapi=True, base_url=BASE)
    assert expanded["openapi"] == queue_openapi_document(spec, BASE)
    json.dumps(expanded)
