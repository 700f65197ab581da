"""Frame-count and frame-rate rules shared by every endpoint that reads or writes video.

LTX-2.3's video VAE compresses time by 8 with a causal first frame, so a clip must have
8k+1 frames; fal accepts 9..481 frames and 1..60 fps. These helpers turn a source clip's
duration and frame rate (``match_input_fps``, ``match_video_length``, ``match_audio_length``)
into a legal (fps, num_frames) pair.

Decisions (documented here because fal does not publish them):

* ``match_input_fps``: the output rate is the source's average rate, kept as an exact
  fraction (24000/1001 stays 24000/1001) and clamped into 1..60 fps. A 120 fps source
  therefore becomes 60 fps and is resampled in time by the decoder.
* ``match_video_length`` / ``match_audio_length``: the frame count is the number of whole
  output frames the source lasts, ``floor(duration * fps)``, rounded DOWN to 8k+1 (so the
  result never needs content the source does not have) and clamped to 9..481. A source
  shorter than 9 frames is held on its last frame by the decoder (``pad=True``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

MIN_FRAMES = 9
MAX_FRAMES = 481
MIN_FPS = Fraction(1)
MAX_FPS = Fraction(60)

# Common NTSC-style rates that users type as decimals (23.976, 29.97, 59.94).
_NTSC_BASES = (24, 30, 48, 60, 120)


def is_8k1(num_frames: int) -> bool:
    """True when ``num_frames`` has the 8k+1 shape the video VAE needs."""
    return num_frames >= 1 and (num_frames - 1) % 8 == 0


def floor_8k1(num_frames: int) -> int:
    """Largest 8k+1 value not above ``num_frames`` (1 for anything below 9)."""
    if num_frames < 1:
        return 1
    return ((num_frames - 1) // 8) * 8 + 1


def nearest_8k1(num_frames: int) -> int:
    """Closest 8k+1 value (ties round up), for callers that may add a few frames."""
    if num_frames < 1:
        return 1
    return ((num_frames - 1 + 4) // 8) * 8 + 1


def clamp_frame_count(num_frames: int) -> int:
    """Round down to 8k+1 and clamp to fal's 9..481 range."""
    return max(MIN_FRAMES, min(MAX_FRAMES, floor_8k1(num_frames)))


def as_fraction(fps: float | int | Fraction) -> Fraction:
    """Exact rational frame rate; decimal NTSC rates (23.976, 29.97) map to N*1000/1001.

    Why: an mp4 written at 23.976 = 2997/125 drifts from the 24000/1001 every player and
    editor expects; snapping keeps timestamps exact and durations consistent.
    """
    if isinstance(fps, Fraction):
        value = fps
    else:
        if not math.isfinite(float(fps)) or float(fps) <= 0:
            raise ValueError(f"frame rate must be a positive number, got {fps!r}")
        value = Fraction(fps).limit_denominator(1001)
    for base in _NTSC_BASES:
        ntsc = Fraction(base * 1000, 1001)
        if value != base and abs(float(value) - float(ntsc)) < 0.0015:
            return ntsc
    return value


def clamp_fps(fps: Fraction) -> Fraction:
    """Clamp a frame rate into fal's 1..60 range."""
    return max(MIN_FPS, min(MAX_FPS, fps))


def frames_in_duration(duration_s: float, fps: Fraction) -> int:
    """Whole frames that fit in ``duration_s`` at ``fps`` (tolerant of float noise)."""
    return max(0, math.floor(duration_s * float(fps) + 1e-6))


@dataclass(frozen=True)
class OutputTiming:
    """The frame rate and 8k+1 frame count a generation will use."""

    fps: Fraction
    num_frames: int

    @property
    def duration(self) -> float:
        return self.num_frames / float(self.fps)


def resolve_timing(
    *,
    requested_fps: float | Fraction,
    requested_num_frames: int,
    source_fps: Fraction | None = None,
    source_duration: float | None = None,
    match_fps: bool = False,
    match_length: bool = False,
) -> OutputTiming:
    """Apply fal's ``match_input_fps`` / ``match_*_length`` switches to a source clip.

    ``source_fps`` is None for audio sources (they have no frame rate; the requested fps is
    used). ``source_duration`` is required when ``match_length`` is set.
    """
    fps = clamp_fps(as_fraction(requested_fps))
    if match_fps and source_fps is not None and source_fps > 0:
        fps = clamp_fps(as_fraction(source_fps))
    if match_length:
        if source_duration is None:
            raise ValueError("match_length needs the source duration")
        num_frames = clamp_frame_count(frames_in_duration(source_duration, fps))
    else:
        num_frames = int(requested_num_frames)
    return OutputTiming(fps=fps, num_frames=num_frames)
