"""fal's stored pages for the 15 endpoints of issue 15 (fixtures in `fal_pages/`), their parsers,
and which of our models each page is the contract for.

The search tool's pages corpus keeps only the first ~2,000 characters of a page, so every
fixture is a verbatim excerpt that stops mid-sentence: an llms.txt excerpt shows the header
(id, category, price, description) and the first fields; an `/api` excerpt shows the title,
the description and the minimal request (the required fields). A field whose bullet the
excerpt cuts off is not parsed. Where a page is the contract for a sibling endpoint that has
no page of its own, the row says `analogy`; docs/fal-endpoints.md has the full field tables
and where the fields beyond the excerpts come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ltx_serve.schemas import distilled_audio_to_video as da
from ltx_serve.schemas import distilled_image_to_video as di
from ltx_serve.schemas import distilled_reference_video_to_video as dr
from ltx_serve.schemas import distilled_text_to_video as dt
from ltx_serve.schemas import extend_video as ev
from ltx_serve.schemas import image_to_video as i2v
from ltx_serve.schemas import quality_image_to_video as qi
from ltx_serve.schemas import text_to_video as t2v

from .seed_pages import SeedField, llms_fields

PAGES_DIR = Path(__file__).parent / "fal_pages"


@dataclass(frozen=True)
class PageField(SeedField):
    description: str | None = None


@dataclass(frozen=True)
class NewEndpoint:
    """One endpoint of issue 15: its models and what fal's pages say about it."""

    endpoint_id: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    category: str
    description: str
    price_per_megapixel: float | None  # None: no stored page states it
    llms_page: str | None = None  # fixture name
    api_page: str | None = None
    analogy_of: str | None = None  # sibling whose llms.txt page stands in for a missing one
    tags: tuple[str, ...] = field(default_factory=tuple)


D22 = "fal-ai/ltx-2.3-22b"
NEW_ENDPOINTS: tuple[NewEndpoint, ...] = (
    NewEndpoint(
        f"{D22}/text-to-video",
        t2v.TextToVideoInput,
        t2v.TextToVideoOutput,
        "text-to-video",
        "Generate video with audio from text using LTX-2.3",
        None,
        analogy_of=f"{D22}/distilled/text-to-video/lora",
    ),
    NewEndpoint(
        f"{D22}/text-to-video/lora",
        t2v.TextToVideoLoraInput,
        t2v.TextToVideoLoraOutput,
        "text-to-video",
        "Generate video with audio from text using LTX-2.3 and custom LoRA",
        None,
        api_page="ltx-2.3-22b__text-to-video__lora.api.txt",
        analogy_of=f"{D22}/distilled/text-to-video/lora",
    ),
    NewEndpoint(
        f"{D22}/image-to-video",
        i2v.ImageToVideoInput,
        i2v.ImageToVideoOutput,
        "image-to-video",
        "Generate video with audio from images using LTX-2.3",
        None,
        analogy_of=f"{D22}/image-to-video/lora",
    ),
    NewEndpoint(
        f"{D22}/image-to-video/lora",
        i2v.ImageToVideoLoraInput,
        i2v.ImageToVideoLoraOutput,
        "image-to-video",
        "Generate video with audio from images using LTX-2.3 and custom LoRA",
        0.001805,
        llms_page="ltx-2.3-22b__image-to-video__lora.llms.txt",
    ),
    NewEndpoint(
        f"{D22}/distilled/text-to-video",
        dt.DistilledTextToVideoInput,
        dt.DistilledTextToVideoOutput,
        "text-to-video",
        "Generate video with audio from text using LTX-2.3 Distilled",
        None,
        analogy_of=f"{D22}/distilled/text-to-video/lora",
    ),
    NewEndpoint(
        f"{D22}/distilled/text-to-video/lora",
        dt.DistilledTextToVideoLoraInput,
        dt.DistilledTextToVideoLoraOutput,
        "text-to-video",
        "Generate video with audio from text using LTX-2.3 Distilled and custom LoRA",
        0.001405,
        llms_page="ltx-2.3-22b__distilled__text-to-video__lora.llms.txt",
    ),
    NewEndpoint(
        f"{D22}/distilled/image-to-video",
        di.DistilledImageToVideoInput,
        di.DistilledImageToVideoOutput,
        "image-to-video",
        "Generate video with audio from images using LTX-2.3 Distilled",
        None,
        analogy_of=f"{D22}/image-to-video/lora",
    ),
    NewEndpoint(
        f"{D22}/distilled/image-to-video/lora",
        di.DistilledImageToVideoLoraInput,
        di.DistilledImageToVideoLoraOutput,
        "image-to-video",
        "Generate video with audio from images using LTX-2.3 Distilled and custom LoRA",
        None,
        analogy_of=f"{D22}/image-to-video/lora",
    ),
    NewEndpoint(
        f"{D22}/distilled/audio-to-video",
        da.DistilledAudioToVideoInput,
        da.DistilledAudioToVideoOutput,
        "audio-to-video",
        "Generate video with audio from audio, text and images using LTX-2 Distilled",
        0.001205,
        llms_page="ltx-2.3-22b__distilled__audio-to-video.llms.txt",
    ),
    NewEndpoint(
        f"{D22}/distilled/audio-to-video/lora",
        da.DistilledAudioToVideoLoraInput,
        da.DistilledAudioToVideoLoraOutput,
        "audio-to-video",
        "Generate video with audio from audio, text and images using LTX-2 Distilled and custom LoRA",
        None,
        analogy_of=f"{D22}/distilled/audio-to-video",
    ),
    NewEndpoint(
        f"{D22}/distilled/reference-video-to-video",
        dr.DistilledReferenceVideoToVideoInput,
        dr.DistilledReferenceVideoToVideoOutput,
        "video-to-video",
        "Generate video with audio from reference videos using LTX-2.3 Distilled",
        None,
        api_page="ltx-2.3-22b__distilled__reference-video-to-video.api.txt",
    ),
    NewEndpoint(
        f"{D22}/distilled/reference-video-to-video/lora",
        dr.DistilledReferenceVideoToVideoLoraInput,
        dr.DistilledReferenceVideoToVideoLoraOutput,
        "video-to-video",
        "Generate video with audio from reference videos using LTX-2.3 Distilled and custom LoRA",
        None,
        api_page="ltx-2.3-22b__distilled__reference-video-to-video__lora.api.txt",
    ),
    NewEndpoint(
        "fal-ai/ltx-2.3-quality/image-to-video",
        qi.QualityImageToVideoInput,
        qi.QualityImageToVideoOutput,
        "image-to-video",
        "Generate high-quality video with audio from images using LTX-2.3",
        0.0024075,
        llms_page="ltx-2.3-quality__image-to-video.llms.txt",
        api_page="ltx-2.3-quality__image-to-video.api.txt",
    ),
    NewEndpoint(
        f"{D22}/extend-video",
        ev.ExtendVideoInput,
        ev.ExtendVideoOutput,
        "video-to-video",
        "Extend video with audio using LTX-2.3",
        None,
        api_page="ltx-2.3-22b__extend-video.api.txt",
        analogy_of=f"{D22}/extend-video/lora",
    ),
    NewEndpoint(
        f"{D22}/extend-video/lora",
        ev.ExtendVideoLoraInput,
        ev.ExtendVideoLoraOutput,
        "video-to-video",
        "Extend video with audio using LTX-2.3 and custom LoRA",
        0.001805,
        llms_page="ltx-2.3-22b__extend-video__lora.llms.txt",
    ),
)
BY_ID = {e.endpoint_id: e for e in NEW_ENDPOINTS}


def minimal_request(model: type[BaseModel]) -> dict[str, Any]:
    """A request with only the model's required fields, each set to a valid value."""
    values: dict[str, Any] = {
        "prompt": "a walk in the park",
        "loras": [{"path": "https://example.com/style.safetensors"}],
    }
    required = model.model_json_schema()["required"]
    return {name: values.get(name, f"https://example.com/{name}.bin") for name in required}


def page_text(name: str) -> str:
    return (PAGES_DIR / name).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ llms.txt


@dataclass(frozen=True)
class LlmsHeader:
    title: str
    description: str
    model_id: str
    category: str
    price_per_megapixel: float | None


def llms_header(text: str) -> LlmsHeader:
    price = re.search(r"\$([\d.]+) per megapixel", text)
    return LlmsHeader(
        title=re.search(r"^# (.+)$", text, re.M)[1],
        description=re.search(r"^> (.+)$", text, re.M)[1],
        model_id=re.search(r"^- \*\*Model ID\*\*: `([^`]+)`$", text, re.M)[1],
        category=re.search(r"^- \*\*Category\*\*: (\S+)$", text, re.M)[1],
        price_per_megapixel=float(price[1]) if price else None,
    )


_HEAD = re.compile(r"^- \*\*`(\w+)`\*\* \(`([^`]+)`, _(required|optional)_\):$")


def llms_page_fields(text: str) -> list[PageField]:
    """`seed_pages.llms_fields` plus each field's description. On an excerpt that stops before
    "### Output Schema" the last bullet may be cut anywhere, so it is dropped."""
    complete = "### Output Schema" in text.splitlines()
    parsed = llms_fields(text if complete else f"{text}\n### Output Schema")
    lines = text.splitlines()
    descriptions = {
        head[1]: re.sub(r" Default value: `.*`$", "", lines[i + 1].strip())
        for i, line in enumerate(lines[:-1])
        if (head := _HEAD.match(line))
    }
    fields = [PageField(**vars(f), description=descriptions.get(f.name)) for f in parsed]
    return fields if complete else fields[:-1]


def llms_cut_field(text: str) -> tuple[str, str] | None:
    """The bullet an excerpt stops in: (name, the visible start of its description), or None
    when the cut falls before its description starts."""
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if _HEAD.match(line)]
    last = heads[-1]
    if "### Output Schema" in lines[last:] or last + 1 >= len(lines):
        return None
    return _HEAD.match(lines[last])[1], lines[last + 1].strip()


# ------------------------------------------------------------------------------ /api pages


@dataclass(frozen=True)
class ApiPage:
    endpoint_id: str
    description: str | None  # the line under the id; some stored copies have none
    about: str
    example_input_keys: tuple[str, ...]


def api_page(text: str) -> ApiPage:
    """Title block, "About" text and the top-level keys of the first `fal.subscribe` input."""
    lines = [line.strip() for line in text.splitlines()]
    id_line = next(i for i, line in enumerate(lines) if re.fullmatch(r"fal-ai/[\w./-]+", line))
    following = [line for line in lines[id_line + 1 :] if line]
    description = following[0] if following[0] != "About" else None
    about = following[following.index("About") + 1]
    block = text[text.index("fal.subscribe(") :]
    block = block[block.index("input: {") + len("input: {") : block.index("logs: true")]
    keys = tuple(re.findall(r"^\s*(\w+):", block, re.M))
    top = tuple(k for k in keys if k not in ("path", "scale", "weight_name"))
    return ApiPage(lines[id_line], description, about, top)
