"""`fal-ai/ltx-2.3-quality/reference-video-to-video`: the Union IC-LoRA control endpoint.

Fields are the superset of seeds 000 (Workbench), 001 (API, ranges) and 002 (newest schema,
descriptions), minus `loras` (the `/lora` sibling adds it). Workbench names are input aliases.
`control_type` is our extension: fal runs one built-in control estimator we cannot see.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from ltx_serve.schemas.common import (
    QUALITY_NEGATIVE_PROMPT,
    SYNC_MODE_DESCRIPTION,
    ControlType,
    FalBaseModel,
    MediaUrl,
    SizeSpec,
    VideoFile,
    VideoOutput,
    VideoQuality,
    VideoSizePreset,
    VideoWriteMode,
    aliases,
)
from ltx_serve.schemas.rules import Violation, raise_violations

EXAMPLE_PROMPT = "A dancer in a flowing red dress against a black backdrop, studio lighting, cinematic."
EXAMPLE_VIDEO_URL = "https://v3b.fal.media/files/b/0a8824b1/sdm0KfmenrlywesfzY1Y1_if6euPp1.mp4"


class ReferenceVideoToVideoInput(FalBaseModel):
    prompt: str = Field(description="The prompt to guide generation.", examples=[EXAMPLE_PROMPT])
    video_url: MediaUrl = Field(
        validation_alias=aliases("video_url", "input_video"),
        description="The URL of the reference video that supplies motion/structure.",
        examples=[EXAMPLE_VIDEO_URL],
    )
    control_video_url: MediaUrl | None = Field(
        None,
        description=(
            "Optional pre-computed control video (e.g. an already-rendered depth / edge / pose "
            "composite). When provided together with skip_control_preprocess, the built-in "
            "control estimation is skipped and this video is used directly as the control "
            "signal, resampled to the output resolution and frame count."
        ),
    )
    skip_control_preprocess: bool = Field(
        False,
        description=(
            "Skip the built-in control estimation (depth / edge / pose) and use "
            "control_video_url directly as the control signal. Requires control_video_url; "
            "ignored if it is not set. With resolution='auto', the output follows the source "
            "video size/aspect up to the LTX limits. Explicit resolutions are honored and "
            "64-aligned so the RGB video and control video stay matched."
        ),
    )
    preserve_original_video: bool = Field(
        False,
        description=(
            "True video-to-video: the base video_url is used as the generation's starting "
            "point, while control_video_url still drives the structure. The amount of the "
            "original preserved is controlled by strength (denoise): lower strength keeps more "
            "of the original video's pixels. Requires skip_control_preprocess, video_url and "
            "control_video_url. Default off leaves the standard control path unchanged."
        ),
    )
    image_url: MediaUrl | None = Field(
        None,
        validation_alias=aliases("image_url", "input_image"),
        description=(
            "Optional reference image for style/character anchoring. This is the FIRST-frame keyframe."
        ),
    )
    mid_image_url: MediaUrl | None = Field(
        None,
        description=(
            "Optional middle-frame keyframe image. When set, the look/appearance is anchored to "
            "this image around the middle of the clip (in addition to image_url at the start), "
            "so the appearance follows a moving camera instead of drifting. Requires image_url."
        ),
    )
    end_image_url: MediaUrl | None = Field(
        None,
        description=(
            "Optional last-frame keyframe image. When set, the look/appearance is anchored to "
            "this image at the end of the clip. Useful for shots where the camera travels to a "
            "different place than the start image. Requires image_url."
        ),
    )
    video_strength: float = Field(
        0.6,
        ge=0,
        le=1,
        description=(
            "Video conditioning strength. Lower values give the model more freedom to change "
            "the reference video motion/structure."
        ),
    )
    strength: float = Field(
        1.0,
        gt=0,
        le=1,
        description=(
            "Sampler denoise strength for reference-video-to-video. With "
            "preserve_original_video on, this is the video-to-video amount: lower values keep "
            "more of the original video's pixels (e.g. 0.5 = keep ~50%), 1.0 fully "
            "regenerates. Without preserve_original_video it only trims the denoise schedule. "
            "Must be greater than 0."
        ),
    )
    num_frames: int = Field(
        121,
        ge=9,
        le=481,
        description=(
            "The number of output frames to generate. For this IC-LoRA endpoint, very long "
            "requests are automatically capped by a resolution-dependent stability budget: "
            "720p-class outputs are capped at 150 frames, while smaller outputs can run longer."
        ),
    )
    resolution: SizeSpec = Field(
        VideoSizePreset.AUTO,
        description=(
            "The size of the generated video. In direct-control mode (skip_control_preprocess "
            "with control_video_url), 'auto' follows the source video size/aspect up to the LTX "
            "limits and explicit sizes are honored with 64px alignment. In the built-in control "
            "estimation mode, the output stays near the official control workflow size. Higher "
            "resolutions reduce the maximum stable frame count; lower resolutions can run longer."
        ),
    )
    frames_per_second: float = Field(
        24,
        ge=1,
        le=60,
        validation_alias=aliases("frames_per_second", "fps"),
        description="Frames per second of the generated video.",
    )
    num_inference_steps: int = Field(
        15,
        ge=8,
        le=30,
        description="Number of inference steps. Defaults to 15 and can be increased up to 30.",
    )
    guidance_scale: float = Field(
        1,
        ge=1,
        le=20,
        description=(
            "Classifier-free guidance scale. The default is tuned for fast, high-quality generation."
        ),
    )
    generate_audio: bool = Field(
        True,
        description=(
            "Whether to include audio in the returned video. When disabled, the final MP4 is "
            "returned without an audio track."
        ),
    )
    negative_prompt: str = Field(
        QUALITY_NEGATIVE_PROMPT, description="The negative prompt to steer generation away from."
    )
    seed: int | None = Field(
        None,
        description="Random seed for reproducibility. If None, a random seed is chosen.",
    )
    enable_prompt_expansion: bool = Field(True, description="Whether to enable prompt expansion.")
    enable_safety_checker: bool = Field(True, description="Whether to enable the safety checker.")
    video_quality: VideoQuality = Field(
        VideoQuality.HIGH, description="The quality preset of the generated video."
    )
    video_write_mode: VideoWriteMode = Field(
        VideoWriteMode.BALANCED, description="The write mode of the generated video."
    )
    sync_mode: bool = Field(False, description=SYNC_MODE_DESCRIPTION)
    control_type: ControlType = Field(
        ControlType.CANNY,
        description=(
            "ltx-serve extension (not a fal field): which control signal the built-in "
            "estimation extracts from video_url. fal describes its built-in control as a "
            "depth/edge/pose composite; 'composite' reproduces that and needs the depth and "
            "pose preprocessor weights. The default 'canny' follows the official Lightricks "
            "Union Control workflow, which wires only Canny, and needs no extra weights. "
            "Ignored when skip_control_preprocess uses control_video_url directly."
        ),
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> ReferenceVideoToVideoInput:
        """The seed's "Requires ..." sentences. `skip_control_preprocess` without a control
        video is ignored per the seed, so it is deliberately not an error."""
        violations: list[Violation] = []
        if self.preserve_original_video:
            missing = [
                name
                for name, ok in (
                    ("skip_control_preprocess", self.skip_control_preprocess),
                    ("control_video_url", self.control_video_url is not None),
                )
                if not ok
            ]
            if missing:
                violations.append(
                    Violation(
                        "preserve_original_video",
                        "preserve_original_video requires skip_control_preprocess=true and a "
                        f"control_video_url; missing: {', '.join(missing)}",
                        self.preserve_original_video,
                    )
                )
        if self.image_url is None:
            for name in ("mid_image_url", "end_image_url"):
                value = getattr(self, name)
                if value is not None:
                    violations.append(
                        Violation(name, f"{name} requires image_url (the first-frame keyframe)", value)
                    )
        raise_violations(violations)
        return self

    @property
    def uses_direct_control(self) -> bool:
        """True when the caller's control video replaces the built-in estimation (seed 002)."""
        return self.skip_control_preprocess and self.control_video_url is not None


class ReferenceVideoToVideoOutput(VideoOutput):
    video: VideoFile = Field(description="The generated video.")
    seed: int = Field(description="The seed actually used for generation.")
    prompt: str = Field(description="The prompt used for generation (after any expansion).")
