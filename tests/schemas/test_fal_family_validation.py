"""Issue 15's endpoint schemas as a caller sees them: fal-shaped 422s whose `loc` names the field
to fix (cross-field rules, enums, LoRA paths), aliases, ignored extras and defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ltx_serve.errors import ValidationFailed
from ltx_serve.schemas.validation import pydantic_errors_to_fal

from .fal_pages import BY_ID, NEW_ENDPOINTS, minimal_request

D22 = "fal-ai/ltx-2.3-22b"
EXTEND = BY_ID[f"{D22}/extend-video"].input_model
EXTEND_LORA = BY_ID[f"{D22}/extend-video/lora"].input_model
REF = BY_ID[f"{D22}/distilled/reference-video-to-video"].input_model
T2V = BY_ID[f"{D22}/text-to-video"].input_model
T2V_LORA = BY_ID[f"{D22}/text-to-video/lora"].input_model
I2V = BY_ID[f"{D22}/image-to-video"].input_model
QUALITY_I2V = BY_ID["fal-ai/ltx-2.3-quality/image-to-video"].input_model
URL = "https://example.com/in.mp4"


def validate(model: type[BaseModel], payload: Any) -> BaseModel:
    """What `validate_input` does once the registry serves the model."""
    try:
        return model.model_validate(payload, from_attributes=True)
    except ValidationError as exc:
        raise ValidationFailed(pydantic_errors_to_fal(exc)) from None


def errors_for(model: type[BaseModel], payload: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationFailed) as info:
        validate(model, payload)
    assert info.value.status_code == 422
    json.dumps({"detail": info.value.detail()})
    return info.value.errors


@pytest.mark.parametrize("endpoint", NEW_ENDPOINTS, ids=lambda e: e.endpoint_id)
def test_required_fields_alone_validate_and_missing_ones_are_named(endpoint) -> None:
    payload = minimal_request(endpoint.input_model)
    dumped = validate(endpoint.input_model, payload).model_dump(
        mode="json", include=set(payload), exclude_defaults=True
    )
    assert dumped == payload
    for name in payload:
        errs = errors_for(endpoint.input_model, {k: v for k, v in payload.items() if k != name})
        assert [e["loc"] for e in errs] == [["body", name]] and errs[0]["type"] == "missing"


@pytest.mark.parametrize("model", [EXTEND, EXTEND_LORA], ids=["extend", "extend/lora"])
@pytest.mark.parametrize(("num_frames", "context"), [(25, 25), (33, 41), (9, 121)])
def test_extend_context_must_be_shorter_than_the_generated_window(model, num_frames, context) -> None:
    payload = minimal_request(model) | {"num_frames": num_frames, "num_context_frames": context}
    (err,) = errors_for(model, payload)
    assert err["loc"] == ["body", "num_context_frames"]
    assert err["type"] == "value_error" and err["input"] == context
    assert f"num_frames ({num_frames})" in err["msg"]


def test_extend_context_inside_the_window_and_zero_context_are_accepted() -> None:
    assert validate(EXTEND, minimal_request(EXTEND) | {"num_frames": 121, "num_context_frames": 97})
    assert validate(EXTEND, minimal_request(EXTEND) | {"num_frames": 9, "num_context_frames": 0})
    defaults = validate(EXTEND, minimal_request(EXTEND))
    assert (defaults.num_frames, defaults.num_context_frames, defaults.extend_direction) == (
        121,
        25,
        "forward",
    )


def test_extend_range_error_comes_before_the_cross_field_rule() -> None:
    """An out-of-range context gets pydantic's range error at that field, not the window rule."""
    (err,) = errors_for(EXTEND, minimal_request(EXTEND) | {"num_context_frames": 122})
    assert err["loc"] == ["body", "num_context_frames"] and err["type"] == "less_than_equal"


def test_match_preprocessor_needs_a_preprocessor() -> None:
    (err,) = errors_for(REF, minimal_request(REF) | {"ic_lora_type": "match_preprocessor"})
    assert err["loc"] == ["body", "ic_lora_type"] and err["input"] == "match_preprocessor"
    assert "preprocessor" in err["msg"]
    ok = validate(REF, minimal_request(REF) | {"ic_lora_type": "match_preprocessor", "preprocessor": "depth"})
    assert (ok.ic_lora_type, ok.preprocessor) == ("match_preprocessor", "depth")


def test_reference_defaults_are_union_without_preprocessing() -> None:
    request = validate(REF, minimal_request(REF))
    assert (request.ic_lora_type, request.preprocessor, request.video_strength) == ("union", "none", 1)


@pytest.mark.parametrize("model", [T2V, BY_ID[f"{D22}/distilled/text-to-video"].input_model])
def test_text_to_video_has_no_auto_size(model) -> None:
    (err,) = [
        e for e in errors_for(model, minimal_request(model) | {"video_size": "auto"}) if "enum" in e["type"]
    ]
    assert err["loc"][:2] == ["body", "video_size"]
    assert validate(model, minimal_request(model)).video_size == "landscape_16_9"
    sized = validate(model, minimal_request(model) | {"video_size": {"width": 768, "height": 512}})
    assert (sized.video_size.width, sized.video_size.height) == (768, 512)


def test_image_and_video_endpoints_default_to_auto_size() -> None:
    assert validate(I2V, minimal_request(I2V)).video_size == "auto"
    assert validate(EXTEND, minimal_request(EXTEND)).video_size == "auto"
    assert validate(QUALITY_I2V, minimal_request(QUALITY_I2V)).resolution == "auto"


@pytest.mark.parametrize(
    "path",
    ["https://example.com/style.safetensors", "Lightricks/LTX-2.3-22b-IC-LoRA-HDR", "/files/abc.safetensors"],
)
def test_lora_path_is_a_url_or_a_hugging_face_repo(path) -> None:
    request = validate(
        T2V_LORA, minimal_request(T2V_LORA) | {"loras": [{"path": path, "weight_name": "w.safetensors"}]}
    )
    (lora,) = request.loras
    assert (lora.path, lora.weight_name, lora.scale) == (path, "w.safetensors", 1)


@pytest.mark.parametrize("path", ["", "ftp://example.com/l.safetensors", "not a path"])
def test_unusable_lora_path_is_a_422_at_that_lora(path) -> None:
    (err,) = errors_for(T2V_LORA, minimal_request(T2V_LORA) | {"loras": [{"path": path}]})
    assert err["loc"] == ["body", "loras", 0, "path"]


def test_lora_scale_range_is_fals_zero_to_four() -> None:
    payload = minimal_request(T2V_LORA) | {"loras": [{"path": URL, "scale": 4}, {"path": URL, "scale": 4.5}]}
    (err,) = errors_for(T2V_LORA, payload)
    assert err["loc"] == ["body", "loras", 1, "scale"] and err["type"] == "less_than_equal"


def test_the_22b_lora_list_has_no_size_limit_in_fals_schema() -> None:
    """fal states no bounds for these endpoints' `loras`: an empty list and many LoRAs validate
    (a resource cap, if any, belongs to the engine, with its own clear error)."""
    assert validate(T2V_LORA, minimal_request(T2V_LORA) | {"loras": []}).loras == []
    assert len(validate(T2V_LORA, minimal_request(T2V_LORA) | {"loras": [{"path": URL}] * 5}).loras) == 5


@pytest.mark.parametrize(
    ("model", "alias", "canonical", "value"),
    [
        (T2V, "frames_per_second", "fps", 30.0),
        (I2V, "input_image", "image_url", "https://example.com/i.png"),
        (EXTEND, "input_video", "video_url", "https://example.com/v.mp4"),
        (
            BY_ID[f"{D22}/distilled/audio-to-video"].input_model,
            "input_audio",
            "audio_url",
            "https://example.com/a.mp3",
        ),
        (QUALITY_I2V, "fps", "frames_per_second", 30.0),
    ],
)
def test_sibling_endpoint_names_are_accepted_and_serialised_under_the_api_name(
    model, alias, canonical, value
) -> None:
    payload = {k: v for k, v in minimal_request(model).items() if k != canonical} | {alias: value}
    dumped = validate(model, payload).model_dump(mode="json")
    assert dumped[canonical] == value and alias not in dumped


@pytest.mark.parametrize("endpoint", NEW_ENDPOINTS, ids=lambda e: e.endpoint_id)
def test_unknown_fields_are_ignored_as_fal_does(endpoint) -> None:
    payload = minimal_request(endpoint.input_model) | {"guidance_scale_v2": 3, "loras_extra": []}
    dumped = validate(endpoint.input_model, payload).model_dump()
    assert "guidance_scale_v2" not in dumped and "loras_extra" not in dumped


@pytest.mark.parametrize("field", ["image_url", "end_image_url"])
def test_bad_media_url_names_the_field(field) -> None:
    (err,) = errors_for(I2V, minimal_request(I2V) | {field: "ftp://example.com/i.png"})
    assert err["loc"] == ["body", field] and err["type"] == "url_scheme"


def test_distilled_endpoints_default_to_no_acceleration_and_the_full_model_to_regular() -> None:
    for endpoint in NEW_ENDPOINTS:
        if not endpoint.endpoint_id.startswith(f"{D22}/"):
            continue
        request = validate(endpoint.input_model, minimal_request(endpoint.input_model))
        expected = "none" if "/distilled/" in endpoint.endpoint_id else "regular"
        assert request.acceleration == expected, endpoint.endpoint_id
