"""Field groups shared by fal's `fal-ai/ltx-2.3-22b/...` endpoints (text/image-to-video, extend,
and the distilled text/image/audio/reference-video endpoints), as fal publishes them.

Why groups: the fourteen 22B endpoints repeat the same runs of fields with the same wording, and
fal orders every schema as `<endpoint head>, <guidance knobs>, <sampler and output options>,
[loras], <endpoint tail>`. Each run is one mixin here; an endpoint model lists its mixins
last-group-first (`class X(Tail, Loras22B, SamplerOptions, GuidanceKnobs, Head)`), because
pydantic collects fields along the reversed MRO, so the fields come out in fal's order
(`x-fal-order-properties`) without repeating a line. A subclass that only changes a default
(the distilled endpoints' `acceleration`) keeps the field where fal lists it.

Source: fal's OpenAPI for each endpoint (docs/fal-endpoints.md says which page or schema each
value comes from); tests/schemas/test_fal_pages_contract.py checks them against fal's pages.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, TypeAdapter
from pydantic_core import PydanticCustomError

from ltx_serve.schemas.common import (
    Acceleration,
    CameraLoRA,
    FalBaseModel,
    ImageSize,
    MediaUrl,
    Scheduler,
    SizeSpec,
    VideoFile,
    VideoOutput,
    VideoOutputType,
    VideoQuality,
    VideoSizePreset,
    VideoWriteMode,
    aliases,
)
from ltx_serve.schemas.video_to_video import NEGATIVE_PROMPT_22B

_CAMERA_TEXT = (
    "This allows you to control the camera movement of the generated video more accurately "
    "than just prompting the model to move the camera."
)


FixedSizePreset = StrEnum(
    "FixedSizePreset", {p.name: p.value for p in VideoSizePreset if p is not VideoSizePreset.AUTO}
)
"""fal's presets without `auto`: text-to-video has no input to take a size from."""

FixedSizeSpec = ImageSize | FixedSizePreset
"""`ImageSize | Enum` where the enum has no `auto` (fal's text-to-video `video_size`)."""


class Direction(StrEnum):
    """image-to-video's `interpolation_direction` and extend-video's `extend_direction`."""

    FORWARD = "forward"
    BACKWARD = "backward"


# ------------------------------------------------------------------------------ one-field types

NumFrames = Annotated[int, Field(121, ge=9, le=481, description="The number of frames to generate.")]
GenerateAudio = Annotated[bool, Field(True, description="Whether to generate audio for the video.")]
UseMultiscale = Annotated[
    bool,
    Field(
        True,
        description=(
            "Whether to use multi-scale generation. If True, the model will generate the video at "
            "a smaller scale first, then use the smaller video to guide the generation of a video "
            "at or above your requested size. This results in better coherence and details."
        ),
    ),
]
MatchInputFps = Annotated[
    bool,
    Field(
        True,
        description=(
            "When true, match the output FPS to the input video's FPS instead of using the "
            "default target FPS."
        ),
    ),
]
Fps = Annotated[
    float,
    Field(
        24,
        ge=1,
        le=60,
        validation_alias=aliases("fps", "frames_per_second"),
        description="The frames per second of the generated video.",
    ),
]
VideoSize = Annotated[SizeSpec, Field(VideoSizePreset.AUTO, description="The size of the generated video.")]
"""`video_size` where `auto` (the default) takes the size from the input image or video."""
FixedVideoSize = Annotated[
    FixedSizeSpec, Field(FixedSizePreset.LANDSCAPE_16_9, description="The size of the generated video.")
]
EndImageUrl = Annotated[
    MediaUrl | None, Field(None, description="The URL of the image to use as the end of the video.")
]
ImageStrength = Annotated[
    float, Field(1, ge=0, le=1, description="The strength of the image to use for the video generation.")
]
EndImageStrength = Annotated[
    float,
    Field(1, ge=0, le=1, description="The strength of the end image to use for the video generation."),
]
MatchVideoLength = Annotated[
    bool,
    Field(
        True,
        description=(
            "When enabled, the number of frames will be calculated based on the video duration and "
            "FPS. When disabled, use the specified num_frames."
        ),
    ),
]
VideoStrength = Annotated[
    float,
    Field(
        1,
        ge=0,
        le=1,
        description=(
            "Video conditioning strength. Lower values represent more freedom given to the model "
            "to change the video content."
        ),
    ),
]
AudioStrength = Annotated[
    float,
    Field(
        1,
        ge=0,
        le=1,
        description=(
            "Audio conditioning strength. Lower values represent more freedom given to the model "
            "to change the audio content."
        ),
    ),
]


# ------------------------------------------------------------------------------ LoRAs

_HF_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MEDIA_URL = TypeAdapter(MediaUrl)


def _check_lora_path(value: str) -> str:
    """fal's 22B LoRA `path`: a URL (as every media input) or a Hugging Face `owner/repo` id."""
    text = value.strip()
    if _HF_REPO_ID.match(text):
        return text
    try:
        return _MEDIA_URL.validate_python(text)
    except ValueError:
        raise PydanticCustomError(
            "url_parsing",
            "path must be an http(s) URL, a data: URI, a /files/ path on this server or a "
            "Hugging Face repo id (owner/repo), got {path!r}",
            {"path": text},
        ) from None


LoraPath = Annotated[str, AfterValidator(_check_lora_path)]


class LoRAWeight(FalBaseModel):
    """fal's 22B-family `LoRAInput` (path, weight_name, scale 0-4); the quality family's
    `common.LoRAInput` has a `transformer` branch instead of `weight_name`."""

    path: LoraPath = Field(description="URL, HuggingFace repo ID (owner/repo) to lora weights.")
    weight_name: str | None = Field(
        None,
        description=(
            "Name of the LoRA weight. Only used if `path` is a HuggingFace repository, and is only "
            "required when the repository contains multiple LoRA weights."
        ),
    )
    scale: float = Field(1, ge=0, le=4, description="Scale factor for LoRA application (0.0 to 4.0).")


class Loras22B(FalBaseModel):
    loras: list[LoRAWeight] = Field(
        description="The LoRAs to use for the generation.",
        examples=[[{"path": "", "scale": 1}]],
    )


# ------------------------------------------------------------------------------ field runs


class GuidanceKnobs(FalBaseModel):
    """The full (non-distilled) model's sampler knobs, fal's defaults for the 22B endpoints.

    docs/fal-endpoints.md: fal's OpenAPI for text/image-to-video and extend gives these
    defaults; the stored video-to-video page (seed 003) shows a retuned set (15 steps, beta,
    restart sampling, STG 1, rescale 0.85, gamma 0) that no page shows for these endpoints.
    """

    num_inference_steps: int = Field(40, ge=8, le=50, description="The number of inference steps to use.")
    video_cfg_scale: float = Field(
        3,
        ge=1,
        le=20,
        description=(
            "The Classifier-Free Guidance (CFG) scale for the video. Higher values result in more "
            "consistent and focused video content."
        ),
    )
    video_stg_scale: float = Field(
        0,
        ge=0,
        le=20,
        description=(
            "The Spatiotemporal Guidance (STG) scale for the video. Higher values result in more "
            "consistent and focused video content."
        ),
    )
    video_rescaling_scale: float = Field(
        0.7,
        ge=0,
        le=1,
        description=(
            "The rescaling scale for the video. Controls the ratio between classifier-free "
            "guidance and spatiotemporal guidance."
        ),
    )
    video_modality_scale: float = Field(
        3,
        ge=0,
        le=10,
        description=(
            "The modality scale for the video. Controls the ratio between video and audio modalities."
        ),
    )
    audio_cfg_scale: float = Field(
        7,
        ge=1,
        le=20,
        description=(
            "The Classifier-Free Guidance (CFG) scale for the audio. Higher values result in more "
            "consistent and focused audio content."
        ),
    )
    audio_stg_scale: float = Field(
        0,
        ge=0,
        le=20,
        description=(
            "The Spatiotemporal Guidance (STG) scale for the audio. Higher values result in more "
            "consistent and focused audio content."
        ),
    )
    audio_rescaling_scale: float = Field(
        0.7,
        ge=0,
        le=1,
        description=(
            "The rescaling scale for the audio. Controls the ratio between classifier-free "
            "guidance and spatiotemporal guidance."
        ),
    )
    audio_modality_scale: float = Field(
        3,
        ge=0,
        le=10,
        description=(
            "The modality scale for the audio. Controls the ratio between video and audio modalities."
        ),
    )
    gradient_estimation_gamma: float = Field(
        2,
        ge=0,
        le=10,
        description="The gamma of gradient estimation during denoising. Set to 0 to disable.",
    )
    use_restart_sampling: bool = Field(
        False,
        description=(
            "Whether to use restart sampling. This will inject a small amount of noise during each "
            "denoising step, which can help improve the quality of the generated video."
        ),
    )


class SamplerOptions(FalBaseModel):
    """Scheduler, acceleration, camera LoRA, prompts and the output encoding: every 22B endpoint."""

    scheduler: Scheduler = Field(Scheduler.LTX2, description="The scheduler to use.", examples=["ltx2"])
    acceleration: Acceleration = Field(
        Acceleration.REGULAR, description="The acceleration level to use.", examples=["regular"]
    )
    camera_lora: CameraLoRA = Field(
        CameraLoRA.NONE, description=f"The camera LoRA to use. {_CAMERA_TEXT}", examples=["none"]
    )
    camera_lora_scale: float = Field(
        1, ge=0, le=1, description=f"The scale of the camera LoRA to use. {_CAMERA_TEXT}"
    )
    negative_prompt: str = Field(
        NEGATIVE_PROMPT_22B, description="The negative prompt to generate the video from."
    )
    seed: int | None = Field(None, description="The seed for the random number generator.")
    enable_prompt_expansion: bool = Field(True, description="Whether to enable prompt expansion.")
    enable_safety_checker: bool = Field(True, description="Whether to enable the safety checker.")
    video_output_type: VideoOutputType = Field(
        VideoOutputType.X264_MP4, description="The output type of the generated video."
    )
    video_quality: VideoQuality = Field(VideoQuality.HIGH, description="The quality of the generated video.")
    video_write_mode: VideoWriteMode = Field(
        VideoWriteMode.BALANCED, description="The write mode of the generated video."
    )
    sync_mode: bool = Field(
        False,
        description=(
            "If `True`, the media will be returned as a data URI and the output data won't be "
            "available in the request history."
        ),
    )


class DistilledSamplerOptions(SamplerOptions):
    """The distilled endpoints default `acceleration` to `none` (the field stays in place)."""

    acceleration: Acceleration = Field(
        Acceleration.NONE, description="The acceleration level to use.", examples=["none"]
    )


class SecondPass(FalBaseModel):
    distill_lora_second_pass_scale: float = Field(
        0.5,
        ge=0,
        le=1,
        description="The scale of the distill LoRA to use for the second and subsequent passes.",
    )


class FirstPass(FalBaseModel):
    distill_lora_first_pass_scale: float = Field(
        0.2,
        ge=0,
        le=1,
        description="The scale of the distill LoRA to use for the first pass. Set to 0 to disable.",
    )


class DistillPasses(SecondPass, FirstPass):
    """First, then second pass scale (the full-model endpoints)."""


class Output22B(VideoOutput):
    """`{video, seed, prompt}` in the 22B family's wording (fal's `LTX2ExtendVideoOutput`)."""

    video: VideoFile = Field(description="The generated video.")
    seed: int = Field(description="The seed used for the random number generator.")
    prompt: str = Field(description="The prompt used for the generation.")
