"""Types shared by every LTX-2.3 endpoint schema, shaped after fal's toolkit types.

Why a common base: every fal endpoint answers with the same conventions (unknown fields are
ignored, properties carry `x-fal-order-properties`, media are URL strings, the output is
`{video, seed, prompt}`), so one base model keeps the four endpoint modules to their fields.
Nothing here imports torch: the API imports this module.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

# fal's ImageSize bound (fal/toolkit/image/image.py): 14142 ~ sqrt(2e8) pixels per side.
MAX_IMAGE_SIDE = 14142
FILES_PATH_PREFIX = "/files/"


def _add_fal_order(schema: dict[str, Any], _model: type[BaseModel]) -> None:
    """Expose the field order the way fal does, so UIs and docs show fields in seed order."""
    properties = schema.get("properties")
    if properties:
        schema["x-fal-order-properties"] = list(properties)


class FalBaseModel(BaseModel):
    """Base of every request/response model.

    Unknown fields are IGNORED (not rejected), exactly as fal's apps behave: clients written
    for fal may send fields another fal endpoint accepts, and must not get a 422 for them.
    Aliases (fal Workbench names such as `input_video`) are accepted on input; models always
    serialise with the canonical API names (the field names).
    """

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        use_enum_values=False,
        json_schema_extra=_add_fal_order,
    )


def aliases(name: str, *others: str) -> AliasChoices:
    """Accept the canonical API name first, then the Workbench/sibling-endpoint names."""
    return AliasChoices(name, *others)


def _check_media_url(value: str) -> str:
    """Media inputs are fetched later by the SSRF-safe fetcher; reject what it could never fetch.

    Accepted: http(s) URLs with a host, `data:` URIs (fal's inline base64 convention), and this
    server's own file-store URLs given as a path (`/files/...`); an absolute URL to the file
    store is already an http(s) URL.
    """
    text = value.strip()
    if not text:
        raise PydanticCustomError("url_parsing", "Input should be a non-empty URL")
    if text.startswith(FILES_PATH_PREFIX):
        return text
    scheme = urlsplit(text).scheme.lower()
    if scheme == "data":
        if "," not in text:
            raise PydanticCustomError(
                "url_parsing",
                "A data: URI must look like data:<mime>;base64,<payload>",
            )
        return text
    if scheme in ("http", "https"):
        if not urlsplit(text).hostname:
            raise PydanticCustomError("url_parsing", "The URL has no host: {url}", {"url": text})
        return text
    raise PydanticCustomError(
        "url_scheme",
        "URL scheme should be 'http', 'https' or 'data' (or a /files/ path on this server), got '{scheme}'",
        {"scheme": scheme or ""},
    )


MediaUrl = Annotated[str, AfterValidator(_check_media_url)]
"""A media input: http(s) URL, data: URI or this server's /files/ path (422 otherwise)."""


class VideoSizePreset(StrEnum):
    """fal's image-size presets plus `auto` (the endpoint picks the size from its inputs)."""

    AUTO = "auto"
    SQUARE_HD = "square_hd"
    SQUARE = "square"
    PORTRAIT_4_3 = "portrait_4_3"
    PORTRAIT_16_9 = "portrait_16_9"
    LANDSCAPE_4_3 = "landscape_4_3"
    LANDSCAPE_16_9 = "landscape_16_9"


# fal/toolkit/image/image.py IMAGE_SIZE_PRESETS, as (width, height).
PRESET_DIMENSIONS: dict[VideoSizePreset, tuple[int, int]] = {
    VideoSizePreset.SQUARE_HD: (1024, 1024),
    VideoSizePreset.SQUARE: (512, 512),
    VideoSizePreset.PORTRAIT_4_3: (768, 1024),
    VideoSizePreset.PORTRAIT_16_9: (576, 1024),
    VideoSizePreset.LANDSCAPE_4_3: (1024, 768),
    VideoSizePreset.LANDSCAPE_16_9: (1024, 576),
}


class ImageSize(FalBaseModel):
    """An explicit output size; the engine may still align or cap it (the seeds say how)."""

    width: int = Field(512, gt=0, le=MAX_IMAGE_SIDE, description="The width of the generated image.")
    height: int = Field(512, gt=0, le=MAX_IMAGE_SIDE, description="The height of the generated image.")


SizeSpec = ImageSize | VideoSizePreset
"""fal's `ImageSize | Enum`: a preset string or a `{width, height}` object."""


def requested_dimensions(size: SizeSpec) -> tuple[int, int] | None:
    """(width, height) the caller asked for, or None for `auto` (the engine decides)."""
    if isinstance(size, ImageSize):
        return size.width, size.height
    return PRESET_DIMENSIONS.get(VideoSizePreset(size))


class VideoQuality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    MAXIMUM = "maximum"


class VideoWriteMode(StrEnum):
    FAST = "fast"
    BALANCED = "balanced"
    SMALL = "small"


class VideoOutputType(StrEnum):
    X264_MP4 = "X264 (.mp4)"
    VP9_WEBM = "VP9 (.webm)"
    PRORES4444_MOV = "PRORES4444 (.mov)"
    GIF = "GIF (.gif)"


class Scheduler(StrEnum):
    LTX2 = "ltx2"
    LINEAR_QUADRATIC = "linear_quadratic"
    BETA = "beta"


class Acceleration(StrEnum):
    NONE = "none"
    REGULAR = "regular"
    HIGH = "high"
    FULL = "full"


class CameraLoRA(StrEnum):
    """Lightricks' camera-motion LoRAs (seed 003); `none` applies no camera LoRA."""

    DOLLY_IN = "dolly_in"
    DOLLY_OUT = "dolly_out"
    DOLLY_LEFT = "dolly_left"
    DOLLY_RIGHT = "dolly_right"
    JIB_UP = "jib_up"
    JIB_DOWN = "jib_down"
    STATIC = "static"
    NONE = "none"


class ControlType(StrEnum):
    """Which control signal the reference-video endpoints estimate (our extension, not fal's)."""

    COMPOSITE = "composite"
    CANNY = "canny"
    DEPTH = "depth"
    POSE = "pose"


class LoRATransformer(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    BOTH = "both"


class LoRAInput(FalBaseModel):
    """A user LoRA (seed 002 `LoRAInput`); fetched by the SSRF-safe downloader, max 3 GB."""

    path: MediaUrl = Field(
        description="URL or the path to the LoRA weights.",
        examples=["https://example.com/path/to/lora.safetensors"],
    )
    scale: float = Field(1.0, description="The scale of the LoRA to use.")
    transformer: LoRATransformer = Field(
        LoRATransformer.BOTH,
        description="Which transformer branch the LoRA applies to: video, audio or both.",
    )


class File(FalBaseModel):
    """fal's `File` (fal/toolkit/file/file.py): the JSON a caller downloads media from."""

    url: str = Field(description="The URL where the file can be downloaded from.")
    content_type: str | None = Field(None, description="The mime type of the file.")
    file_name: str | None = Field(
        None, description="The name of the file. It will be auto-generated if not provided."
    )
    file_size: int | None = Field(None, description="The size of the file in bytes.")


class VideoFile(File):
    """fal's `VideoFile`: a `File` plus what a player needs before downloading it."""

    width: int | None = Field(None, description="The width of the video")
    height: int | None = Field(None, description="The height of the video")
    fps: float | None = Field(None, description="The FPS of the video")
    duration: float | None = Field(None, description="The duration of the video")
    num_frames: int | None = Field(None, description="The number of frames in the video")


class VideoOutput(FalBaseModel):
    """The common output `{video, seed, prompt}`; endpoints subclass it for fal's wording."""

    video: VideoFile = Field(description="The generated video.")
    seed: int = Field(description="The seed actually used for generation.")
    prompt: str = Field(description="The prompt used for generation (after any expansion).")


# Defaults the seeds repeat verbatim across endpoints.
QUALITY_NEGATIVE_PROMPT = (
    "color distortion, overexposure, static, blurry details, subtitles, style, artwork, "
    "painting, frame, still, dim overall tone, worst quality, low quality, JPEG compression "
    "artifacts, ugly, mutilated, extra fingers, poorly drawn hands, poorly drawn face, "
    "deformed, disfigured, malformed limbs, fused fingers, motionless frame, cluttered "
    "background, three legs, crowded background, walking backwards"
)
SYNC_MODE_DESCRIPTION = (
    "If True, the media is returned as a data URI inline in the response. "
    "Useful for short-lived requests and tests."
)
