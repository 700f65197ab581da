"""From a reference video file to control frames, in one call (engine and CLI share it)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ltx_serve.control.render import ControlType, render_control
from ltx_serve.control.resolution import ControlSize, auto_control_size
from ltx_serve.media.decode import decode_video
from ltx_serve.media.probe import DEFAULT_MAX_PIXELS, DEFAULT_MAX_SECONDS, probe, require_video
from ltx_serve.media.resize import ResizeMode


@dataclass(frozen=True)
class ControlClip:
    """Control frames [F, h, w, 3] uint8 at ``size.output``, with the rate they play at."""

    frames: np.ndarray
    fps: Fraction
    size: ControlSize


def control_from_video(
    path: Path,
    field: str,
    control_type: ControlType | str,
    weights_dir: Path,
    *,
    fps: float | Fraction | None = None,
    num_frames: int | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ControlClip:
    """Decode ``path`` (at ``fps``/``num_frames``, default: as is) and render its control video.

    The reference is decoded straight to the 544-short-side size of the official chain, so
    a 4K input never sits in memory at full size. Bad media raise ``FieldError(field)``.
    """
    info = require_video(probe(path, field), field, max_seconds=max_seconds, max_pixels=max_pixels)
    size = auto_control_size(info.width, info.height)
    clip = decode_video(
        path,
        field,
        fps=fps,
        num_frames=num_frames,
        size=size.reference,
        resize=ResizeMode.COVER,
        max_seconds=max_seconds,
        max_pixels=max_pixels,
    )
    frames = render_control(control_type, clip.frames, weights_dir, size=size)
    return ControlClip(frames=frames, fps=clip.fps, size=size)
