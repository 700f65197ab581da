"""`fal-ai/ltx-2.3-22b/extend-video` and `/lora`: continue a video at its end (`forward`) or
give it a new beginning (`backward`) with the full 22B model.

The fields are fal's (docs/fal-endpoints.md, "extend-video"). `num_frames` is the generated
window and includes the `num_context_frames` taken from the input video (fal's quality extend
page says so in words), so the context must be shorter than the window: otherwise nothing new
would be generated, and the request is a 422 naming `num_context_frames`.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from ltx_serve.schemas.common import FalBaseModel, MediaUrl, aliases
from ltx_serve.schemas.family_22b import (
    AudioStrength,
    Direction,
    DistillPasses,
    EndImageStrength,
    Fps,
    GenerateAudio,
    GuidanceKnobs,
    Loras22B,
    MatchInputFps,
    NumFrames,
    Output22B,
    SamplerOptions,
    UseMultiscale,
    VideoSize,
    VideoStrength,
)
from ltx_serve.schemas.rules import Violation, raise_violations

EXAMPLE_PROMPT = "Continue the scene naturally, maintaining the same style and motion."
EXAMPLE_VIDEO_URL = "https://v3b.fal.media/files/b/0a8824b1/sdm0KfmenrlywesfzY1Y1_if6euPp1.mp4"


class ExtendVideoHead(FalBaseModel):
    prompt: str = Field(description="The prompt to generate the video from.", examples=[EXAMPLE_PROMPT])
    video_url: MediaUrl = Field(
        validation_alias=aliases("video_url", "input_video"),
        description="The URL of the video to extend.",
        examples=[EXAMPLE_VIDEO_URL],
    )
    end_image_url: MediaUrl | None = Field(
        None, description="The URL of the image to use as the end of the extended video."
    )
    num_frames: NumFrames
    video_size: VideoSize
    generate_audio: GenerateAudio
    use_multiscale: UseMultiscale
    match_input_fps: MatchInputFps
    fps: Fps


class ExtendVideoTail(FalBaseModel):
    extend_direction: Direction = Field(
        Direction.FORWARD,
        description=(
            "Direction to extend the video. 'forward' extends from the end of the video, "
            "'backward' extends from the beginning."
        ),
    )
    num_context_frames: int = Field(
        25, ge=0, le=121, description="The number of frames to use as context for the extension."
    )
    video_strength: VideoStrength
    audio_strength: AudioStrength
    end_image_strength: EndImageStrength

    @model_validator(mode="after")
    def _context_inside_the_window(self) -> ExtendVideoTail:
        num_frames = getattr(self, "num_frames", None)
        if num_frames is not None and self.num_context_frames >= num_frames:
            raise_violations(
                [
                    Violation(
                        "num_context_frames",
                        f"num_context_frames ({self.num_context_frames}) must be smaller than "
                        f"num_frames ({num_frames}): the generated window includes the context "
                        "frames, so nothing new would be generated",
                        self.num_context_frames,
                    )
                ]
            )
        return self


class ExtendVideoInput(ExtendVideoTail, DistillPasses, SamplerOptions, GuidanceKnobs, ExtendVideoHead):
    pass


class ExtendVideoLoraInput(
    ExtendVideoTail, DistillPasses, Loras22B, SamplerOptions, GuidanceKnobs, ExtendVideoHead
):
    pass


class ExtendVideoOutput(Output22B):
    pass


class ExtendVideoLoraOutput(Output22B):
    pass
