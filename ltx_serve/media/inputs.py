"""From a request's input media to the (fps, num_frames) a generation will use.

Thin glue over ``probe`` and ``timing.resolve_timing`` so every endpoint applies fal's
``match_input_fps`` / ``match_video_length`` / ``match_audio_length`` the same way.
"""

from __future__ import annotations

from pathlib import Path

from ltx_serve.media.probe import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SECONDS,
    probe,
    require_audio,
    require_video,
)
from ltx_serve.media.timing import OutputTiming, resolve_timing


def video_timing(
    path: Path,
    field: str,
    *,
    requested_fps: float,
    requested_num_frames: int,
    match_input_fps: bool,
    match_video_length: bool,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> OutputTiming:
    """Timing for a video-conditioned request (video-to-video, reference-video-to-video)."""
    info = require_video(probe(path, field), field, max_seconds=max_seconds, max_pixels=max_pixels)
    return resolve_timing(
        requested_fps=requested_fps,
        requested_num_frames=requested_num_frames,
        source_fps=info.fps,
        source_duration=info.duration,
        match_fps=match_input_fps,
        match_length=match_video_length,
    )


def audio_timing(
    path: Path,
    field: str,
    *,
    requested_fps: float,
    requested_num_frames: int,
    match_audio_length: bool,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> OutputTiming:
    """Timing for audio-to-video: frames from the audio's duration at the requested fps."""
    info = probe(path, field)
    duration = require_audio(info, field, max_seconds=max_seconds).duration or info.duration
    return resolve_timing(
        requested_fps=requested_fps,
        requested_num_frames=requested_num_frames,
        source_duration=duration,
        match_length=match_audio_length,
    )
