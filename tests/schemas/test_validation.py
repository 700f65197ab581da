"""`validate_input` as a caller sees it: aliases, ignored extras, fal-shaped 422 bodies whose
`loc` names the field to fix, cross-field rules, ranges, media URLs, sizes and LoRAs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from ltx_serve.errors import RequestError, ValidationFailed
from ltx_serve.schemas import get_endpoint, validate_input
from ltx_serve.schemas.common import ImageSize, VideoSizePreset, requested_dimensions
from ltx_serve.schemas.validation import pydantic_errors_to_fal

from .conftest import A2V, ALL_IDS, MINIMAL, RV2V, RV2V_LORA, V2V_22B


def errors_for(endpoint_id: str, payload: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationFailed) as info:
        validate_input(endpoint_id, payload)
    assert info.value.status_code == 422
    json.dumps({"detail": info.value.detail()})  # the body must always serialise
    return info.value.errors


def locs(errors: list[dict[str, Any]]) -> list[list[Any]]:
    return [e["loc"] for e in errors]


ALIASES = [
    (RV2V, "input_video", "video_url", "https://example.com/v.mp4"),
    (RV2V, "input_image", "image_url", "https://example.com/i.png"),
    (RV2V, "fps", "frames_per_second", 30.0),
    (RV2V_LORA, "input_video", "video_url", "https://example.com/v.mp4"),
    (V2V_22B, "input_video", "video_url", "https://example.com/v.mp4"),
    (V2V_22B, "frames_per_second", "fps", 30.0),
    (A2V, "input_audio", "audio_url", "https://example.com/a.mp3"),
    (A2V, "input_image", "image_url", "https://example.com/i.png"),
    (A2V, "fps", "frames_per_second", 30.0),
]


@pytest.mark.parametrize(("endpoint_id", "alias", "canonical", "value"), ALIASES)
def test_workbench_alias_is_accepted_and_serialised_under_the_api_name(
    endpoint_id, alias, canonical, value
) -> None:
    payload = {k: v for k, v in MINIMAL[endpoint_id].items() if k != canonical} | {alias: value}
    dumped = validate_input(endpoint_id, payload).model_dump(mode="json")
    assert dumped[canonical] == value
    assert alias not in dumped


def test_canonical_name_wins_over_alias_when_both_are_sent() -> None:
    payload = MINIMAL[RV2V] | {"input_video": "https://example.com/other.mp4"}
    assert validate_input(RV2V, payload).video_url == MINIMAL[RV2V]["video_url"]


@pytest.mark.parametrize("endpoint_id", ALL_IDS)
def test_unknown_fields_are_ignored_like_fal(endpoint_id: str) -> None:
    request = validate_input(endpoint_id, MINIMAL[endpoint_id] | {"made_up_field": 1, "image_size": "square"})
    assert "made_up_field" not in request.model_dump()


@pytest.mark.parametrize("endpoint_id", ALL_IDS)
def test_missing_required_fields_are_named(endpoint_id: str) -> None:
    errors = errors_for(endpoint_id, {})
    required = get_endpoint(endpoint_id).input_model.model_json_schema()["required"]
    assert sorted(locs(errors)) == sorted(["body", name] for name in required)
    assert {e["type"] for e in errors} == {"missing"}


def test_non_object_body_is_a_422_on_body() -> None:
    assert locs(errors_for(RV2V, ["not", "an", "object"])) == [["body"]]


def test_unknown_endpoint_is_404() -> None:
    with pytest.raises(RequestError) as info:
        validate_input("fal-ai/ltx-2.3-quality/nope", {})
    assert info.value.status_code == 404
    assert RV2V in info.value.message


@pytest.mark.parametrize("endpoint_id", [RV2V, RV2V_LORA])
@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ({}, {"skip_control_preprocess", "control_video_url"}),
        ({"skip_control_preprocess": True}, {"control_video_url"}),
        ({"control_video_url": "https://example.com/c.mp4"}, {"skip_control_preprocess"}),
    ],
)
def test_preserve_original_video_requires_direct_control(endpoint_id, extra, missing) -> None:
    payload = MINIMAL[endpoint_id] | {"preserve_original_video": True} | extra
    (error,) = errors_for(endpoint_id, payload)
    assert error["loc"] == ["body", "preserve_original_video"]
    assert error["type"] == "value_error"
    for name in missing:
        assert name in error["msg"]


def test_preserve_original_video_with_direct_control_is_accepted() -> None:
    payload = MINIMAL[RV2V] | {
        "preserve_original_video": True,
        "skip_control_preprocess": True,
        "control_video_url": "https://example.com/c.mp4",
        "strength": 0.5,
    }
    request = validate_input(RV2V, payload)
    assert request.uses_direct_control and request.strength == 0.5


def test_skip_control_preprocess_without_control_video_is_ignored_not_an_error() -> None:
    request = validate_input(RV2V, MINIMAL[RV2V] | {"skip_control_preprocess": True})
    assert request.skip_control_preprocess and not request.uses_direct_control


@pytest.mark.parametrize("endpoint_id", [RV2V, RV2V_LORA])
def test_mid_and_end_keyframes_require_the_first_frame_image(endpoint_id: str) -> None:
    payload = MINIMAL[endpoint_id] | {
        "mid_image_url": "https://example.com/m.png",
        "end_image_url": "https://example.com/e.png",
    }
    assert locs(errors_for(endpoint_id, payload)) == [["body", "mid_image_url"], ["body", "end_image_url"]]
    ok = validate_input(endpoint_id, payload | {"input_image": "https://example.com/f.png"})
    assert ok.image_url == "https://example.com/f.png"


def test_cross_field_rules_also_hold_on_direct_model_construction() -> None:
    model = get_endpoint(RV2V).input_model
    with pytest.raises(ValidationFailed) as info:
        model(**MINIMAL[RV2V], end_image_url="https://example.com/e.png")
    assert info.value.errors[0]["loc"] == ["body", "end_image_url"]


def _bounded_fields() -> list[tuple[str, str, str, float]]:
    """(endpoint, field, bound keyword, limit) for every ranged field of every endpoint."""
    cases = []
    for endpoint_id in ALL_IDS:
        props = get_endpoint(endpoint_id).input_model.model_json_schema()["properties"]
        for name, prop in props.items():
            for bound in ("minimum", "maximum", "exclusiveMinimum"):
                if bound in prop:
                    cases.append((endpoint_id, name, bound, prop[bound]))
    return cases


BOUNDED = _bounded_fields()


@pytest.mark.parametrize(("endpoint_id", "name", "bound", "limit"), BOUNDED, ids=lambda v: str(v))
def test_out_of_range_values_are_422_on_that_field(endpoint_id, name, bound, limit) -> None:
    integer = get_endpoint(endpoint_id).input_model.model_fields[name].annotation is int
    step = 1 if integer else 0.001
    outside = {"minimum": limit - step, "maximum": limit + step, "exclusiveMinimum": limit}[bound]
    (error,) = errors_for(endpoint_id, MINIMAL[endpoint_id] | {name: outside})
    assert error["loc"] == ["body", name]
    assert error["type"] in {"greater_than_equal", "less_than_equal", "greater_than"}
    inside = limit if bound != "exclusiveMinimum" else limit + step
    assert getattr(validate_input(endpoint_id, MINIMAL[endpoint_id] | {name: inside}), name) == inside


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.mp4",
        "http://10.0.0.2:8000/files/abc.mp4",
        "data:video/mp4;base64,AAAA",
        "/files/3f2a/clip.mp4",
    ],
)
def test_accepted_media_url_forms(url: str) -> None:
    assert validate_input(RV2V, MINIMAL[RV2V] | {"video_url": url}).video_url == url


@pytest.mark.parametrize(
    ("url", "error_type"),
    [
        ("ftp://example.com/a.mp4", "url_scheme"),
        ("file:///etc/passwd", "url_scheme"),
        ("example.com/a.mp4", "url_scheme"),
        ("https:///nohost.mp4", "url_parsing"),
        ("data:video/mp4;base64", "url_parsing"),
        ("", "url_parsing"),
    ],
)
def test_rejected_media_urls_name_the_field_the_caller_used(url: str, error_type: str) -> None:
    payload = {"prompt": "p", "input_audio": url}
    (error,) = errors_for(A2V, payload)
    assert error["loc"] == ["body", "input_audio"]
    assert error["type"] == error_type


@pytest.mark.parametrize("field", ["control_video_url", "image_url", "mid_image_url", "end_image_url"])
def test_every_optional_media_field_checks_its_scheme(field: str) -> None:
    payload = MINIMAL[RV2V] | {"image_url": "https://example.com/f.png", field: "gopher://x/y"}
    assert locs(errors_for(RV2V, payload)) == [["body", field]]


@pytest.mark.parametrize("preset", [p.value for p in VideoSizePreset])
@pytest.mark.parametrize(
    ("endpoint_id", "field"), [(RV2V, "resolution"), (V2V_22B, "video_size"), (A2V, "resolution")]
)
def test_size_presets_are_accepted(endpoint_id: str, field: str, preset: str) -> None:
    value = getattr(validate_input(endpoint_id, MINIMAL[endpoint_id] | {field: preset}), field)
    assert value == VideoSizePreset(preset)


def test_custom_size_object_and_preset_dimensions() -> None:
    request = validate_input(V2V_22B, MINIMAL[V2V_22B] | {"video_size": {"width": 1280, "height": 720}})
    assert request.video_size == ImageSize(width=1280, height=720)
    assert requested_dimensions(request.video_size) == (1280, 720)
    assert requested_dimensions(VideoSizePreset.LANDSCAPE_16_9) == (1024, 576)
    assert requested_dimensions(VideoSizePreset.AUTO) is None
    assert validate_input(V2V_22B, MINIMAL[V2V_22B] | {"video_size": {}}).video_size == ImageSize()


@pytest.mark.parametrize(
    ("size", "axis"), [({"width": 0, "height": 512}, "width"), ({"width": 512, "height": 14143}, "height")]
)
def test_custom_size_out_of_fal_bounds_names_the_axis(size: dict[str, int], axis: str) -> None:
    errors = errors_for(RV2V, MINIMAL[RV2V] | {"resolution": size})
    assert ["body", "resolution", "ImageSize", axis] in locs(errors)


def test_unknown_size_preset_is_rejected_on_the_field() -> None:
    errors = errors_for(RV2V, MINIMAL[RV2V] | {"resolution": "4k"})
    assert all(loc[:2] == ["body", "resolution"] for loc in locs(errors))


def test_lora_endpoint_requires_one_to_three_loras() -> None:
    base = {k: v for k, v in MINIMAL[RV2V_LORA].items() if k != "loras"}
    lora = {"path": "https://example.com/l.safetensors", "scale": 0.8, "transformer": "video"}
    assert locs(errors_for(RV2V_LORA, base)) == [["body", "loras"]]
    assert errors_for(RV2V_LORA, base | {"loras": []})[0]["type"] == "too_short"
    assert errors_for(RV2V_LORA, base | {"loras": [lora] * 4})[0]["type"] == "too_long"
    request = validate_input(RV2V_LORA, base | {"loras": [lora] * 3})
    assert [entry.model_dump(mode="json") for entry in request.loras] == [lora] * 3


def test_lora_defaults_and_bad_entries() -> None:
    base = {k: v for k, v in MINIMAL[RV2V_LORA].items() if k != "loras"}
    (lora,) = validate_input(
        RV2V_LORA, base | {"loras": [{"path": "https://example.com/l.safetensors"}]}
    ).loras
    assert lora.model_dump(mode="json") == {
        "path": "https://example.com/l.safetensors",
        "scale": 1.0,
        "transformer": "both",
    }
    bad = [{"path": "https://example.com/a"}, {"path": "s3://bucket/x", "transformer": "text"}]
    assert sorted(locs(errors_for(RV2V_LORA, base | {"loras": bad}))) == [
        ["body", "loras", 1, "path"],
        ["body", "loras", 1, "transformer"],
    ]


def test_loras_are_ignored_on_the_base_endpoint() -> None:
    payload = MINIMAL[RV2V] | {"loras": [{"path": "https://example.com/l.safetensors"}]}
    assert "loras" not in validate_input(RV2V, payload).model_dump()


def test_control_type_defaults_to_canny_and_accepts_every_mode() -> None:
    assert validate_input(RV2V, MINIMAL[RV2V]).control_type.value == "canny"
    for mode in ("composite", "canny", "depth", "pose"):
        assert (
            validate_input(RV2V_LORA, MINIMAL[RV2V_LORA] | {"control_type": mode}).control_type.value == mode
        )
    assert locs(errors_for(RV2V, MINIMAL[RV2V] | {"control_type": "hed"})) == [["body", "control_type"]]


def test_error_conversion_makes_exception_contexts_json_safe() -> None:
    """pydantic puts the raised exception object into `ctx`; the 422 body must still dump."""

    class Probe(BaseModel):
        value: int

        @field_validator("value")
        @classmethod
        def odd(cls, v: int) -> int:
            if v % 2 == 0:
                raise ValueError("must be odd")
            return v

    with pytest.raises(ValidationError) as info:
        Probe(value=2)
    (error,) = pydantic_errors_to_fal(info.value)
    assert error == {
        "loc": ["body", "value"],
        "msg": "Value error, must be odd",
        "type": "value_error",
        "input": 2,
        "ctx": {"error": "must be odd"},
    }
