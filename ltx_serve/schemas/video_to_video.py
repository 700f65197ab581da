"""`fal-ai/ltx-2.3-22b/video-to-video`: full-model (non-distilled) video-to-video, seed 003.

This endpoint exposes the multimodal guidance knobs one by one (CFG, STG, rescale and
modality scale per modality), the scheduler and the distilled-LoRA passes. Its frame-rate
field is `fps`; `frames_per_second` (the quality endpoints' name) is accepted as an alias.
"""

from __future__ import annotations

from pydantic import Field

from ltx_serve.schemas.common import (
    Acceleration,
    CameraLoRA,
    FalBaseModel,
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

EXAMPLE_PROMPT = (
    "style: cinematic/realistic. A man wearing a baseball cap walks through a modern town. "
    "He holds a coffee cup."
)
EXAMPLE_VIDEO_URL = "https://v3b.fal.media/files/b/0a8824b1/sdm0KfmenrlywesfzY1Y1_if6euPp1.mp4"
NEGATIVE_PROMPT_22B = (
    "news broadcast, 3d animation, computer graphics, pc game, console game, video game, "
    "cartoon, childish, watermark, logo, text, on screen text, subtitles, titles, signature, "
    "slowmo, static"
)
_CAMERA_TEXT = (
    "This allows you to control the camera movement of the generated video more accurately "
    "than just prompting the model to move the camera."
)


class VideoToVideoInput(FalBaseModel):
    prompt: str = Field(description="The prompt to generate the video from.", examples=[EXAMPLE_PROMPT])
    video_url: MediaUrl = Field(
        validation_alias=aliases("video_url", "input_video"),
        description="The URL of the video to generate the video from.",
        examples=[EXAMPLE_VIDEO_URL],
    )
    match_video_length: bool = Field(
        True,
        description=(
            "When enabled, the number of frames will be calculated based on the video duration "
            "and FPS. When disabled, use the specified num_frames."
        ),
    )
    num_frames: int = Field(121, ge=9, le=481, description="The number of frames to generate.")
    video_size: SizeSpec = Field(VideoSizePreset.AUTO, description="The size of the generated video.")
    generate_audio: bool = Field(True, description="Whether to generate audio for the video.")
    use_multiscale: bool = Field(
        True,
        description=(
            "Whether to use multi-scale generation. If True, the model will generate the video "
            "at a smaller scale first, then use the smaller video to guide the generation of a "
            "video at or above your requested size. This results in better coherence and details."
        ),
    )
    match_input_fps: bool = Field(
        True,
        description=(
            "When true, match the output FPS to the input video's FPS instead of using the "
            "default target FPS."
        ),
    )
    fps: float = Field(
        24,
        ge=1,
        le=60,
        validation_alias=aliases("fps", "frames_per_second"),
        description="The frames per second of the generated video.",
    )
    num_inference_steps: int = Field(15, ge=8, le=50, description="The number of inference steps to use.")
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
        1,
        ge=0,
        le=20,
        description=(
            "The Spatiotemporal Guidance (STG) scale for the video. Higher values result in more "
            "consistent and focused video content."
        ),
    )
    video_rescaling_scale: float = Field(
        0.85,
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
        0,
        ge=0,
        le=10,
        description="The gamma of gradient estimation during denoising. Set to 0 to disable.",
    )
    use_restart_sampling: bool = Field(
        True,
        description=(
            "Whether to use restart sampling. This will inject a small amount of noise during "
            "each denoising step, which can help improve the quality of the generated video."
        ),
    )
    scheduler: Scheduler = Field(Scheduler.BETA, description="The scheduler to use.", examples=["beta"])
    acceleration: Acceleration = Field(
        Acceleration.NONE, description="The acceleration level to use.", examples=["none"]
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
    distill_lora_first_pass_scale: float = Field(
        0.2,
        ge=0,
        le=1,
        description="The scale of the distill LoRA to use for the first pass. Set to 0 to disable.",
    )
    distill_lora_second_pass_scale: float = Field(
        0.5,
        ge=0,
        le=1,
        description="The scale of the distill LoRA to use for the second and subsequent passes.",
    )
    video_strength: float = Field(
        0.01,
        ge=0,
        le=1,
        description=(
            "Video conditioning strength. Lower values represent more freedom given to the model "
            "to change the video content."
        ),
    )
    audio_strength: float = Field(
        0.01,
        ge=0,
        le=1,
        description=(
            "Audio conditioning strength. Lower values represent more freedom given to the model "
            "to change the audio content."
        ),
    )


EXAMPLE_OUTPUT_VIDEO = {
    "width": 1248,
    "height": 704,
    "num_frames": 161,
    "url": "https://v3b.fal.media/files/b/0a922b2c/GHF1uJnBb0iuYWQDuZrzG_WAtgthsP.mp4",
    "duration": 6.44,
    "file_name": "GHF1uJnBb0iuYWQDuZrzG_WAtgthsP.mp4",
    "fps": 25,
    "content_type": "video/mp4",
}


class VideoToVideoOutput(VideoOutput):
    video: VideoFile = Field(description="The generated video.", examples=[EXAMPLE_OUTPUT_VIDEO])
    seed: int = Field(
        description="The seed used for the random number generator.", examples=[1490631192028410600]
    )
    prompt: str = Field(
        description="The prompt used for the generation.",
        examples=["black-and-white video, a cowboy walks through a dusty town, film grain"],
    )
