"""The endpoint table: ids split exactly as fal clients split them (so status URLs built by
the real clients resolve), fal's schema names, lookups and the seed prices."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fal_client.client import AppId

from ltx_serve.errors import RequestError
from ltx_serve.schemas import ENDPOINTS, EndpointSpec, find_endpoint, get_endpoint, split_endpoint_id
from ltx_serve.schemas.registry import endpoints_for_app, pascal_name

from .conftest import A2V, ALL_IDS, RV2V, RV2V_LORA, V2V_22B
from .seed_pages import price_per_megapixel, seed_text


def test_the_four_fal_endpoints_are_served() -> None:
    assert {spec.endpoint_id for spec in ENDPOINTS} == set(ALL_IDS)


@pytest.mark.parametrize(
    "endpoint_id",
    [
        *ALL_IDS,
        "fal-ai/flux/dev",
        "fal-ai/a/b/c/d",
        "workflows/acme/my-flow/run",
        "comfy/acme/graph",
        "12345-my-app",
    ],
)
def test_split_endpoint_id_matches_fal_client(endpoint_id: str) -> None:
    app = AppId.from_endpoint_id(endpoint_id)
    assert split_endpoint_id(endpoint_id) == (app.owner, app.alias, app.path)


def test_split_of_the_served_ids() -> None:
    assert split_endpoint_id(RV2V_LORA) == ("fal-ai", "ltx-2.3-quality", "reference-video-to-video/lora")
    assert split_endpoint_id(V2V_22B) == ("fal-ai", "ltx-2.3-22b", "video-to-video")


@pytest.mark.parametrize("bad", ["", "no-owner", "fal-ai/", "/app"])
def test_split_rejects_malformed_ids(bad: str) -> None:
    with pytest.raises(ValueError):
        split_endpoint_id(bad)


def test_spec_carries_the_split_and_the_app_prefix(spec: EndpointSpec) -> None:
    assert (spec.owner, spec.app, spec.sub_path) == split_endpoint_id(spec.endpoint_id)
    assert spec.endpoint_id.startswith(spec.app_id + "/")


def test_status_urls_without_sub_path_map_back_to_their_endpoints() -> None:
    assert {s.endpoint_id for s in endpoints_for_app("fal-ai", "ltx-2.3-quality")} == {RV2V, RV2V_LORA, A2V}
    assert [s.endpoint_id for s in endpoints_for_app("fal-ai", "ltx-2.3-22b")] == [V2V_22B]


def test_schema_names_follow_fal_pascal_case() -> None:
    assert pascal_name("fal-ai/ltx-2.3/audio-to-video") == "Ltx23AudioToVideo"  # fal's JS type name
    assert pascal_name("fal-ai/bytedance/seedream/v4/text-to-image") == "BytedanceSeedreamV4TextToImage"
    assert get_endpoint(RV2V_LORA).schema_name == "Ltx23QualityReferenceVideoToVideoLora"


def test_lookup() -> None:
    assert get_endpoint(RV2V) is find_endpoint(f"/{RV2V}/")
    assert find_endpoint("fal-ai/ltx-2.3-quality") is None
    with pytest.raises(RequestError) as info:
        get_endpoint("fal-ai/ltx-2.3-quality/text-to-video")
    assert info.value.status_code == 404


@pytest.mark.parametrize(("number", "endpoint_id"), [(1, RV2V), (2, RV2V_LORA), (3, V2V_22B), (4, A2V)])
def test_price_per_megapixel_is_the_seed_price_or_none(number: int, endpoint_id: str) -> None:
    assert get_endpoint(endpoint_id).price_per_megapixel == price_per_megapixel(seed_text(number))


@pytest.mark.parametrize(("number", "endpoint_id"), [(1, RV2V), (3, V2V_22B)])
def test_category_is_the_seed_category(number: int, endpoint_id: str) -> None:
    assert f"- **Category**: {get_endpoint(endpoint_id).category}" in seed_text(number)


def test_importing_the_schemas_does_not_import_torch() -> None:
    code = (
        "import sys, ltx_serve.schemas, ltx_serve.schemas.openapi; "
        "sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
