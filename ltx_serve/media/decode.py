"""Video decoding to uint8 RGB frames at a requested frame rate, count and size.

Frames stream out in chunks (``iter_video_chunks``) so a long or large clip never has to
sit in memory whole; ``decode_video`` stacks them for callers that want one array.

Time resampling (when an ``fps`` is given): output frame ``i`` shows the source frame
whose timestamp is NEAREST to ``i / fps`` (ties go to the earlier frame). At the source's
own rate this is the identity; at a lower rate frames are dropped evenly, at a higher rate
they are repeated. Without ``fps`` every decoded frame is returned once. When the source
runs out before ``num_frames`` the last frame is held (``pad=True``) so that a requested
8k+1 count is always met.

Rotation: the display matrix (phones) or legacy ``rotate`` tag is applied before resizing,
so frames come out upright and ``size`` refers to the upright picture.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ltx_serve.errors import FieldError
from ltx_serve.media.probe import (
    DECODE_ERRORS,
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SECONDS,
    VideoInfo,
    normalise_rotation,
    open_media,
    probe,
    require_video,
    stream_rotation,
    video_stream,
)
from ltx_serve.media.resize import ResizeMode, output_size, resize_frame
from ltx_serve.media.timing import as_fraction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodedVideo:
    """A decoded clip: frames [F, H, W, 3] uint8 RGB plus the timing they represent."""

    frames: np.ndarray
    fps: Fraction
    source: VideoInfo

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])


def rotate_upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a coded frame counter-clockwise by ``rotation`` degrees (display-matrix sense)."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=k)) if k else rgb


def frame_to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """HxWx3 uint8 RGB. High-bit-depth frames (10-bit HDR phones, ProRes) go through 16-bit
    RGB and are rounded, because swscale's direct 10-bit -> rgb24 path is up to 2 levels dark.
    """
    if max(c.bits for c in frame.format.components) > 8:
        wide = frame.to_ndarray(format="rgb48le").astype(np.uint32)
        return ((wide * 255 + 32767) // 65535).astype(np.uint8)
    return frame.to_ndarray(format="rgb24")


def _timed_frames(
    path: Path, field: str, info: VideoInfo, size: tuple[int, int] | None, resize: ResizeMode
) -> Iterator[tuple[Fraction, Fraction, np.ndarray]]:
    """(start time from 0, display duration, upright resized RGB) for each decoded frame."""
    with open_media(path, field) as container:
        stream = video_stream(container)
        if stream is None:  # probed as video moments ago; only a file swapped underneath gets here
            raise FieldError(field, f"The file for '{field}' has no video stream; send a video file.")
        stream.thread_type = "AUTO"
        fallback_rotation = stream_rotation(stream)
        default_duration = 1 / info.fps
        origin: Fraction | None = None
        previous: Fraction | None = None
        for frame in container.decode(stream):
            if frame.pts is None or frame.time_base is None:
                t = Fraction(0) if previous is None else previous + default_duration
            else:
                t = Fraction(frame.pts) * frame.time_base
                if origin is None:
                    origin = t
                t -= origin
            previous = t
            duration = default_duration
            if frame.duration and frame.time_base is not None:
                duration = Fraction(frame.duration) * frame.time_base
            rotation = normalise_rotation(frame.rotation) or fallback_rotation
            rgb = rotate_upright(frame_to_rgb(frame), rotation)
            yield t, duration, resize_frame(rgb, size, resize)


def _resampled(
    frames: Iterator[tuple[Fraction, Fraction, np.ndarray]],
    fps: Fraction | None,
    num_frames: int | None,
    pad: bool,
) -> Iterator[np.ndarray]:
    """The output frame sequence: nearest source frame per output instant (see module doc)."""
    emitted = 0
    last: np.ndarray | None = None
    end = Fraction(0)
    if fps is None:  # the source's own frames, each once (also right for variable-rate GIFs)
        for _t, _duration, rgb in frames:
            if num_frames is not None and emitted >= num_frames:
                return
            yield rgb
            emitted += 1
            last = rgb
    else:
        period = 1 / fps
        prev: tuple[Fraction, np.ndarray] | None = None
        for t, duration, rgb in frames:
            if prev is not None:
                midpoint = (prev[0] + t) / 2
                while (num_frames is None or emitted < num_frames) and emitted * period <= midpoint:
                    yield prev[1]
                    emitted += 1
                if num_frames is not None and emitted >= num_frames:
                    return
            prev, end = (t, rgb), t + duration
        if prev is None:
            return
        last = prev[1]
        while (num_frames is None or emitted < num_frames) and emitted * period < end:
            yield last
            emitted += 1
    while pad and last is not None and num_frames is not None and emitted < num_frames:
        yield last
        emitted += 1


def iter_video_chunks(
    path: Path,
    field: str,
    *,
    fps: float | Fraction | None = None,
    num_frames: int | None = None,
    size: tuple[int, int] | None = None,
    resize: ResizeMode = ResizeMode.COVER,
    chunk_size: int = 16,
    pad: bool = True,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    info: VideoInfo | None = None,
) -> Iterator[np.ndarray]:
    """Yield [<=chunk_size, H, W, 3] uint8 chunks of the first video stream.

    ``fps`` None keeps the source's frames as they are (each once); otherwise the clip is
    resampled in time. ``num_frames`` None decodes the whole clip; ``size`` is (width,
    height) under the ``resize`` policy, None = as is.
    """
    if info is None:
        info = require_video(probe(path, field), field, max_seconds=max_seconds, max_pixels=max_pixels)
    if num_frames is not None and num_frames < 1:
        raise ValueError("num_frames must be positive")
    out_fps = as_fraction(fps) if fps is not None else None
    buffer: list[np.ndarray] = []
    produced = 0
    # closing(): stopping early must close the container now, not at garbage collection.
    with contextlib.closing(_timed_frames(path, field, info, size, resize)) as source:
        for rgb in _resampled(source, out_fps, num_frames, pad):
            buffer.append(rgb)
            produced += 1
            if len(buffer) == chunk_size:
                yield np.stack(buffer)
                buffer = []
    if produced == 0:
        raise FieldError(field, f"The video in '{field}' contains no decodable frames.")
    if buffer:
        yield np.stack(buffer)


def decode_video(
    path: Path,
    field: str,
    *,
    fps: float | Fraction | None = None,
    num_frames: int | None = None,
    size: tuple[int, int] | None = None,
    resize: ResizeMode = ResizeMode.COVER,
    pad: bool = True,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> DecodedVideo:
    """Decode a whole clip to one [F, H, W, 3] uint8 array (see ``iter_video_chunks``)."""
    info = require_video(probe(path, field), field, max_seconds=max_seconds, max_pixels=max_pixels)
    out_fps = as_fraction(fps) if fps is not None else info.fps
    w, h = output_size(info.width, info.height, size, resize)
    chunks = iter_video_chunks(
        path, field, fps=fps, num_frames=num_frames, size=size, resize=resize, pad=pad, info=info
    )
    if num_frames is not None:
        # Fill one preallocated array instead of concatenating (which would need twice the memory).
        frames = np.empty((num_frames, h, w, 3), np.uint8)
        filled = 0
        for chunk in chunks:
            frames[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        return DecodedVideo(frames[:filled], out_fps, info)
    parts = list(chunks)
    if not parts:
        return DecodedVideo(np.zeros((0, h, w, 3), np.uint8), out_fps, info)
    return DecodedVideo(np.concatenate(parts), out_fps, info)


__all__ = ["DECODE_ERRORS", "DecodedVideo", "decode_video", "iter_video_chunks", "rotate_upright"]
