"""Shared helpers for the schema tests: which seed page describes which endpoint, and how to
look a seed's field name (possibly a Workbench alias) up in our models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import AliasChoices, BaseModel

from ltx_serve.schemas import EndpointSpec, get_endpoint

from .seed_pages import SeedField, api_page_fields, llms_fields, workbench_fields

RV2V = "fal-ai/ltx-2.3-quality/reference-video-to-video"
RV2V_LORA = "fal-ai/ltx-2.3-quality/reference-video-to-video/lora"
V2V_22B = "fal-ai/ltx-2.3-22b/video-to-video"
A2V = "fal-ai/ltx-2.3-quality/audio-to-video"
ALL_IDS = (RV2V, RV2V_LORA, V2V_22B, A2V)

# (seed number, parser, endpoint, fields of the seed page that endpoint does not have)
SEED_PAGES: tuple[tuple[int, Callable[[str], list[SeedField]], str, frozenset[str]], ...] = (
    (0, workbench_fields, RV2V, frozenset()),
    (1, llms_fields, RV2V, frozenset()),
    (2, api_page_fields, RV2V, frozenset({"loras"})),
    (2, api_page_fields, RV2V_LORA, frozenset()),
    (3, llms_fields, V2V_22B, frozenset()),
    (4, workbench_fields, A2V, frozenset()),
)
API_SEEDS = tuple(page for page in SEED_PAGES if page[0] in (1, 2, 3))

VALID_URL = "https://example.com/in.mp4"
MINIMAL: dict[str, dict[str, Any]] = {
    RV2V: {"prompt": "a dancer", "video_url": VALID_URL},
    RV2V_LORA: {
        "prompt": "a dancer",
        "video_url": VALID_URL,
        "loras": [{"path": "https://example.com/l.safetensors"}],
    },
    V2V_22B: {"prompt": "a walk", "video_url": VALID_URL},
    A2V: {"prompt": "a singer", "audio_url": "https://example.com/a.wav"},
}


def canonical_name(model: type[BaseModel], name: str) -> str | None:
    """Our field name for a seed name: the field itself or a field that accepts it as alias."""
    for field_name, info in model.model_fields.items():
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias or field_name]
        if name == field_name or name in choices:
            return field_name
    return None


def property_enum(schema: dict[str, Any], prop: str) -> set[str]:
    """All enum values a property of a pydantic JSON schema accepts (through refs/unions)."""
    defs = schema.get("$defs", {})

    def collect(node: dict[str, Any]) -> set[str]:
        if "$ref" in node:
            return collect(defs[node["$ref"].rsplit("/", 1)[-1]])
        values = set(node.get("enum", []))
        for key in ("anyOf", "allOf", "oneOf"):
            for sub in node.get(key, []):
                values |= collect(sub)
        return values

    return collect(schema["properties"][prop])


@pytest.fixture(params=ALL_IDS)
def spec(request: pytest.FixtureRequest) -> EndpointSpec:
    return get_endpoint(request.param)
