"""The schemas of issue 15's endpoints against fal's stored pages, parsed at test time: a page and
a schema that disagree on a field's presence, position, requiredness, type, default, range,
enum, description, on the endpoint's header (id, category, price, description) or on the
output shape fail here. Pages stand in for siblings that have none (`analogy_of`)."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from ltx_serve.schemas.common import VideoOutput
from ltx_serve.schemas.family_22b import Output22B

from .conftest import canonical_name, property_enum
from .fal_pages import (
    BY_ID,
    NEW_ENDPOINTS,
    NewEndpoint,
    api_page,
    llms_cut_field,
    llms_header,
    llms_page_fields,
    minimal_request,
    page_text,
)
from .seed_pages import NO_DEFAULT, seed_text

LLMS_ROWS = [
    (e, BY_ID[e.analogy_of] if e.llms_page is None else e)
    for e in NEW_ENDPOINTS
    if e.llms_page or (e.analogy_of and BY_ID[e.analogy_of].llms_page)
]
API_ROWS = [e for e in NEW_ENDPOINTS if e.api_page]
TWENTY_TWO_B = [e for e in NEW_ENDPOINTS if e.endpoint_id.startswith("fal-ai/ltx-2.3-22b/")]

# How an llms.txt type reads in our pydantic JSON schema.
_JSON_TYPES = {"string": "string", "integer": "integer", "float": "number", "boolean": "boolean"}


def _ids(rows: list[tuple[NewEndpoint, NewEndpoint]]) -> list[str]:
    return [e.endpoint_id.removeprefix("fal-ai/") + ("" if e is p else " (analogy)") for e, p in rows]


def _schema_types(schema: dict, prop: dict) -> set[str]:
    """JSON types (and `$ref` names) a property accepts, through refs and unions."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        target = schema["$defs"][name]
        return {name} if target.get("type") == "object" else _schema_types(schema, target)
    out = {prop["type"]} if "type" in prop else set()
    for sub in prop.get("anyOf", []):
        out |= _schema_types(schema, sub)
    return out


def test_every_new_endpoint_has_a_stored_page_or_a_sibling_that_stands_in() -> None:
    assert len(NEW_ENDPOINTS) == 15
    for e in NEW_ENDPOINTS:
        assert e.llms_page or e.api_page or e.analogy_of, e.endpoint_id
        if e.analogy_of:
            assert BY_ID[e.analogy_of].llms_page, f"{e.endpoint_id} stands on a sibling without a page"


@pytest.mark.parametrize(("endpoint", "page_of"), LLMS_ROWS, ids=_ids(LLMS_ROWS))
def test_llms_page_fields_match_the_schema_in_fal_order(endpoint: NewEndpoint, page_of: NewEndpoint) -> None:
    """Every field the page shows, on the endpoint it describes and on the siblings it stands in
    for: same name, same place at the head of `x-fal-order-properties`, requiredness, type,
    default, range, options and description."""
    model = endpoint.input_model
    schema = model.model_json_schema()
    defaults = model.model_validate(minimal_request(model)).model_dump(mode="json")
    fields = llms_page_fields(page_text(page_of.llms_page))
    assert len(fields) >= 5, "the excerpt should show the endpoint's head fields"
    assert schema["x-fal-order-properties"][: len(fields)] == [canonical_name(model, f.name) for f in fields]
    for f in fields:
        name = canonical_name(model, f.name)
        prop = schema["properties"][name]
        assert (name in schema.get("required", [])) == f.required, name
        if f.type in _JSON_TYPES:
            assert _JSON_TYPES[f.type] in _schema_types(schema, prop), name
        else:
            assert f.type == "ImageSize | Enum" and "ImageSize" in _schema_types(schema, prop), name
        if f.default is not NO_DEFAULT:
            assert defaults[name] == f.default, f"default of {name}"
        if f.range is not None:
            assert (prop.get("minimum"), prop.get("maximum")) == f.range, name
        if f.options is not None:
            assert property_enum(schema, name) == set(f.options), name
        assert prop.get("description") == f.description, name


@pytest.mark.parametrize(("endpoint", "page_of"), LLMS_ROWS, ids=_ids(LLMS_ROWS))
def test_the_field_an_excerpt_stops_in_is_next_and_its_visible_wording_matches(
    endpoint: NewEndpoint, page_of: NewEndpoint
) -> None:
    text = page_text(page_of.llms_page)
    cut = llms_cut_field(text)
    assert cut is not None, "every stored excerpt stops inside a field's description"
    name, visible = cut
    schema = endpoint.input_model.model_json_schema()
    assert schema["x-fal-order-properties"][len(llms_page_fields(text))] == canonical_name(
        endpoint.input_model, name
    )
    assert schema["properties"][canonical_name(endpoint.input_model, name)]["description"].startswith(visible)


@pytest.mark.parametrize("endpoint", [e for e in NEW_ENDPOINTS if e.llms_page], ids=lambda e: e.endpoint_id)
def test_llms_page_header_matches_the_declared_endpoint(endpoint: NewEndpoint) -> None:
    header = llms_header(page_text(endpoint.llms_page))
    assert header.model_id == endpoint.endpoint_id
    assert header.category == endpoint.category
    assert header.description == endpoint.description
    assert header.price_per_megapixel == endpoint.price_per_megapixel


@pytest.mark.parametrize("endpoint", API_ROWS, ids=lambda e: e.endpoint_id)
def test_api_page_minimal_request_names_exactly_the_required_fields(endpoint: NewEndpoint) -> None:
    page = api_page(page_text(endpoint.api_page))
    assert page.endpoint_id == endpoint.endpoint_id
    if page.description is not None:
        assert page.description == endpoint.description
    required = set(endpoint.input_model.model_json_schema()["required"])
    assert set(page.example_input_keys) == required


def test_distilled_reference_video_api_page_says_it_is_the_distilled_lora_recipe() -> None:
    """The only statement fal's pages make about this endpoint's recipe (docs/fal-endpoints.md)."""
    about = api_page(page_text(BY_ID["fal-ai/ltx-2.3-22b/distilled/reference-video-to-video"].api_page)).about
    assert about == "Generate a video from a reference video and text prompt using distilled LoRA."


def test_quality_image_to_video_api_page_says_single_stage_distilled() -> None:
    about = api_page(page_text(BY_ID["fal-ai/ltx-2.3-quality/image-to-video"].api_page)).about
    assert about == "Generate a video from a starting image (single-stage distilled)."


def _output_fields(text: str) -> list[tuple[str, str, str]]:
    """(name, type, description) of an llms.txt "### Output Schema" section."""
    lines = text.splitlines()
    body = lines[lines.index("### Output Schema") + 1 : lines.index("**Example Response**:")]
    out = []
    for i, line in enumerate(body):
        if line.startswith("- **`"):
            name, typ = line.split("`")[1], line.split("`")[3]
            out.append((name, typ, body[i + 1].strip()))
    return out


@pytest.mark.parametrize(
    ("model", "seed"),
    [(e.output_model, 3) for e in TWENTY_TWO_B]
    + [(BY_ID["fal-ai/ltx-2.3-quality/image-to-video"].output_model, 1)],
    ids=[e.endpoint_id.removeprefix("fal-ai/") for e in TWENTY_TWO_B] + ["ltx-2.3-quality/image-to-video"],
)
def test_output_shape_matches_the_family_page(model: type[BaseModel], seed: int) -> None:
    """No stored page of the new endpoints reaches its output section; the family's page does
    (seed 003 for the 22B family, seed 001 for the quality family), and fal's per-endpoint
    OpenAPI gives the 22B outputs the same three fields in the same words."""
    schema = model.model_json_schema()
    page = _output_fields(seed_text(seed))
    assert schema["x-fal-order-properties"] == [name for name, _, _ in page]
    assert set(schema["required"]) == {name for name, _, _ in page}
    for name, _, description in page:
        assert schema["properties"][name]["description"] == description, name
    assert issubclass(model, Output22B if seed == 3 else VideoOutput)


@pytest.mark.parametrize("endpoint", TWENTY_TWO_B, ids=lambda e: e.endpoint_id)
def test_family_example_response_is_a_valid_output(endpoint: NewEndpoint) -> None:
    text = seed_text(3)
    block = text[text.index("**Example Response**:") :]
    example = json.loads(block[block.index("{") : block.index("```", block.index("{"))])
    output = endpoint.output_model.model_validate(example)
    assert output.model_dump(mode="json", exclude_none=True) == example


def test_lora_variants_are_their_base_plus_loras_where_fal_puts_it() -> None:
    """Every `/lora` endpoint is its base endpoint with the required `loras` list inserted
    before the distilled-LoRA pass scales (fal's order), and nothing else changed."""
    for lora in (e for e in NEW_ENDPOINTS if e.endpoint_id.endswith("/lora")):
        base = BY_ID[lora.endpoint_id.removesuffix("/lora")]
        ls, bs = lora.input_model.model_json_schema(), base.input_model.model_json_schema()
        order = ls["x-fal-order-properties"]
        assert [n for n in order if n != "loras"] == bs["x-fal-order-properties"], lora.endpoint_id
        assert order[order.index("loras") - 1] == "sync_mode", lora.endpoint_id
        assert set(ls["required"]) == set(bs["required"]) | {"loras"}
        assert {k: v for k, v in ls["properties"].items() if k != "loras"} == bs["properties"]
