"""Our schemas against fal's seed pages, parsed at test time: a seed/schema disagreement on a
field's presence, requiredness, default, range, enum options or order fails here."""

from __future__ import annotations

import filecmp
import json

import pytest

from ltx_serve.schemas import get_endpoint, validate_input
from ltx_serve.schemas.audio_to_video import FAMILY_FIELDS

from .conftest import (
    A2V,
    API_SEEDS,
    MINIMAL,
    RV2V,
    RV2V_LORA,
    SEED_PAGES,
    V2V_22B,
    canonical_name,
    property_enum,
)
from .seed_pages import (
    NO_DEFAULT,
    SEEDS_DIR,
    SHARED_SEEDS_DIR,
    full_example,
    required_example,
    seed_text,
    workbench_fields,
)

PAGE_IDS = [
    f"seed{n:03d}-{endpoint.rsplit('/', 2)[-2]}/{endpoint.rsplit('/', 1)[-1]}"
    for n, _, endpoint, _ in SEED_PAGES
]


def test_vendored_seeds_match_the_shared_originals() -> None:
    if not SHARED_SEEDS_DIR.is_dir():
        pytest.skip("the shared seed folder is not on this machine; the vendored copies are the contract")
    names = sorted(p.name for p in SHARED_SEEDS_DIR.glob("*.txt"))
    assert names == sorted(p.name for p in SEEDS_DIR.glob("*.txt"))
    _, mismatch, errors = filecmp.cmpfiles(SHARED_SEEDS_DIR, SEEDS_DIR, names, shallow=False)
    assert not mismatch and not errors


@pytest.mark.parametrize(("number", "parse", "endpoint_id", "excluded"), SEED_PAGES, ids=PAGE_IDS)
def test_every_seed_field_exists_with_the_seed_default_and_requiredness(
    number, parse, endpoint_id, excluded
) -> None:
    model = get_endpoint(endpoint_id).input_model
    defaults = model.model_validate(MINIMAL[endpoint_id]).model_dump(mode="json")
    schema = model.model_json_schema()
    for field in parse(seed_text(number)):
        name = canonical_name(model, field.name)
        if field.name in excluded:
            assert name is None, f"{field.name} must not be on {endpoint_id}"
            continue
        assert name is not None, f"seed {number:03d} field {field.name!r} missing on {endpoint_id}"
        assert (name in schema.get("required", [])) == field.required, field.name
        if field.default is not NO_DEFAULT:
            assert defaults[name] == field.default, f"default of {name}"
        if field.range is not None:
            prop = schema["properties"][name]
            assert prop.get("minimum", prop.get("exclusiveMinimum")) == field.range[0], name
            assert prop["maximum"] == field.range[1], name
        if field.options is not None:
            assert property_enum(schema, name) == set(field.options), name


@pytest.mark.parametrize(("number", "parse", "endpoint_id", "excluded"), API_SEEDS, ids=lambda v: str(v))
def test_api_seed_field_order_is_kept_in_x_fal_order_properties(number, parse, endpoint_id, excluded) -> None:
    order = get_endpoint(endpoint_id).input_model.model_json_schema()["x-fal-order-properties"]
    seed_order = [f.name for f in parse(seed_text(number)) if f.name not in excluded]
    positions = [order.index(name) for name in seed_order]
    assert positions == sorted(positions), f"seed {number:03d} order {seed_order} vs {order}"


@pytest.mark.parametrize(
    ("number", "endpoint_id"),
    [(1, RV2V), (2, RV2V), (2, RV2V_LORA), (3, V2V_22B)],
)
def test_seed_full_example_equals_our_defaults(number: int, endpoint_id: str) -> None:
    """The seed's "all parameters" example spells out every default: sending only the
    required fields must produce exactly those values."""
    example = full_example(seed_text(number))
    model = get_endpoint(endpoint_id).input_model
    required = set(model.model_json_schema()["required"])
    minimal = {k: v for k, v in example.items() if k in required}
    ours = validate_input(endpoint_id, minimal).model_dump(mode="json")
    for key, value in example.items():
        if key == "loras" and key not in required:
            continue
        assert key in ours, f"{key} from the seed example is not a field"
        if key != "loras":
            assert ours[key] == value, key
    full = validate_input(endpoint_id, example).model_dump(mode="json")
    assert {k: full[k] for k in example if k in full} == {k: v for k, v in example.items() if k in full}


@pytest.mark.parametrize(("number", "endpoint_id"), [(1, RV2V), (3, V2V_22B)])
def test_seed_required_example_is_accepted_and_round_trips(number: int, endpoint_id: str) -> None:
    example = required_example(seed_text(number))
    request = validate_input(endpoint_id, example)
    assert request.model_dump(mode="json", include=set(example)) == example


def test_seed_003_example_response_is_a_valid_output() -> None:
    text = seed_text(3)
    block = text[text.index("**Example Response**:") :]
    example = json.loads(block[block.index("{") : block.index("```", block.index("{"))])
    output = get_endpoint(V2V_22B).output_model.model_validate(example)
    assert output.model_dump(mode="json", exclude_none=True) == example


def test_audio_to_video_fields_beyond_seed_004_are_exactly_the_declared_family_fields() -> None:
    """Seed 004 is a Workbench subset; every field we add beyond it must be declared as
    inferred from the quality family, so nothing undocumented slips in."""
    model = get_endpoint(A2V).input_model
    from_seed = {canonical_name(model, f.name) for f in workbench_fields(seed_text(4))}
    assert set(model.model_fields) - from_seed == FAMILY_FIELDS
