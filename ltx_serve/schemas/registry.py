"""The one table of served endpoints: routes, OpenAPI documents and `/v1/models` read it.

Adding an endpoint means adding one `EndpointSpec` here; nothing else enumerates endpoints.
Prices are fal's published per-megapixel prices, read from the seed pages; an endpoint whose
seed page states no price has `price_per_megapixel=None` rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from ltx_serve.errors import RequestError
from ltx_serve.schemas.audio_to_video import AudioToVideoInput, AudioToVideoOutput
from ltx_serve.schemas.reference_video_to_video import (
    ReferenceVideoToVideoInput,
    ReferenceVideoToVideoOutput,
)
from ltx_serve.schemas.reference_video_to_video_lora import (
    ReferenceVideoToVideoLoraInput,
    ReferenceVideoToVideoLoraOutput,
)
from ltx_serve.schemas.video_to_video import VideoToVideoInput, VideoToVideoOutput

# fal_client's AppId.from_endpoint_id treats these first segments as namespaces, not owners.
_APP_NAMESPACES = ("workflows", "comfy")
_LEGACY_APP_ID = re.compile(r"^([0-9]+)-([a-zA-Z0-9-]+)$")


def split_endpoint_id(endpoint_id: str) -> tuple[str, str, str | None]:
    """(owner, app, sub_path) exactly as fal clients split an id to build queue URLs.

    The clients drop the sub-path when they build status/result/cancel URLs
    (`/{owner}/{app}/requests/{id}`), so the queue must be able to map back from owner/app.
    A namespace prefix (`workflows/`, `comfy/`) is skipped, as fal_client does.
    """
    parts = endpoint_id.split("/")
    if len(parts) == 1:
        match = _LEGACY_APP_ID.match(endpoint_id)
        if not match:
            raise ValueError(f"Invalid endpoint id {endpoint_id!r}: expected <owner>/<app>[/<path>]")
        parts = list(match.groups())
    if parts[0] in _APP_NAMESPACES:
        parts = parts[1:]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(f"Invalid endpoint id {endpoint_id!r}: expected <owner>/<app>[/<path>]")
    sub_path = "/".join(parts[2:]) or None
    return parts[0], parts[1], sub_path


def pascal_name(endpoint_id: str) -> str:
    """fal's schema-name stem: the id without `fal-ai/`, PascalCased on every non-alphanumeric
    (`fal-ai/ltx-2.3/audio-to-video` -> `Ltx23AudioToVideo`, as fal's JS types name it)."""
    stem = endpoint_id.removeprefix("fal-ai/")
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^0-9A-Za-z]+", stem) if word)


@dataclass(frozen=True)
class EndpointSpec:
    """Everything the HTTP layer needs to serve one fal endpoint id."""

    endpoint_id: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    display_name: str
    category: str
    description: str
    price_per_megapixel: float | None
    price_source: str | None
    tags: tuple[str, ...] = ()
    owner: str = field(init=False)
    app: str = field(init=False)
    sub_path: str | None = field(init=False)

    def __post_init__(self) -> None:
        owner, app, sub_path = split_endpoint_id(self.endpoint_id)
        object.__setattr__(self, "owner", owner)
        object.__setattr__(self, "app", app)
        object.__setattr__(self, "sub_path", sub_path)

    @property
    def app_id(self) -> str:
        """`owner/app`: the prefix clients use for status/result/cancel URLs."""
        return f"{self.owner}/{self.app}"

    @property
    def schema_name(self) -> str:
        return pascal_name(self.endpoint_id)


class UnknownEndpoint(RequestError):
    """The id names no endpoint served here (fal answers an unknown app with 404)."""

    status_code = 404


_QUALITY_PRICE = 0.0024075  # seed 001: "$0.0024075 per megapixel of generated video data"
_22B_PRICE = 0.001605  # seed 003: "$0.001605 per megapixel of generated video data"

ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec(
        endpoint_id="fal-ai/ltx-2.3-quality/reference-video-to-video",
        input_model=ReferenceVideoToVideoInput,
        output_model=ReferenceVideoToVideoOutput,
        display_name="LTX 2.3 Quality: Reference Video to Video",
        category="video-to-video",
        description=(
            "Generate high-quality video with audio from reference video, text and images using LTX-2.3"
        ),
        price_per_megapixel=_QUALITY_PRICE,
        price_source="seed 001",
        tags=("ltx-2.3", "video-to-video", "audio", "ic-lora", "control"),
    ),
    EndpointSpec(
        endpoint_id="fal-ai/ltx-2.3-quality/reference-video-to-video/lora",
        input_model=ReferenceVideoToVideoLoraInput,
        output_model=ReferenceVideoToVideoLoraOutput,
        display_name="LTX 2.3 Quality: Reference Video to Video (LoRA)",
        category="video-to-video",
        description=(
            "Generate high-quality video with audio from reference video, text and images "
            "using LTX-2.3 and custom LoRA"
        ),
        price_per_megapixel=None,
        price_source=None,
        tags=("ltx-2.3", "video-to-video", "audio", "ic-lora", "control", "lora"),
    ),
    EndpointSpec(
        endpoint_id="fal-ai/ltx-2.3-22b/video-to-video",
        input_model=VideoToVideoInput,
        output_model=VideoToVideoOutput,
        display_name="LTX-2.3 22B: Video to Video",
        category="video-to-video",
        description="Generate video with audio from videos using LTX-2.3",
        price_per_megapixel=_22B_PRICE,
        price_source="seed 003",
        tags=("ltx-2.3", "video-to-video", "audio"),
    ),
    EndpointSpec(
        endpoint_id="fal-ai/ltx-2.3-quality/audio-to-video",
        input_model=AudioToVideoInput,
        output_model=AudioToVideoOutput,
        display_name="LTX 2.3 Quality: Audio to Video",
        category="audio-to-video",
        description=(
            "Generate video driven by an input audio track, a text prompt, and an optional "
            "starting image using LTX-2.3"
        ),
        price_per_megapixel=None,
        price_source=None,
        tags=("ltx-2.3", "audio-to-video", "lip-sync"),
    ),
)

_BY_ID: dict[str, EndpointSpec] = {spec.endpoint_id: spec for spec in ENDPOINTS}


def find_endpoint(endpoint_id: str) -> EndpointSpec | None:
    """The spec for an id (surrounding slashes tolerated), or None."""
    return _BY_ID.get(endpoint_id.strip("/"))


def get_endpoint(endpoint_id: str) -> EndpointSpec:
    """The spec for an id; raises `UnknownEndpoint` (404) naming the ids served here."""
    spec = find_endpoint(endpoint_id)
    if spec is None:
        known = ", ".join(sorted(_BY_ID))
        raise UnknownEndpoint(f"Endpoint {endpoint_id!r} is not served here. Served endpoints: {known}")
    return spec


def endpoints_for_app(owner: str, app: str) -> tuple[EndpointSpec, ...]:
    """Every endpoint under `owner/app` (status URLs carry no sub-path, so several may match)."""
    return tuple(spec for spec in ENDPOINTS if spec.owner == owner and spec.app == app)
