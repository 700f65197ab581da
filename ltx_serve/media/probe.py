"""Open and describe an input media file, turning every decoder failure into a 422.

Inputs arrive as local files (``media/fetch.py`` downloaded them); the request field name
travels along so that a corrupt upload is reported as ``FieldError(field, ...)`` instead of
escaping as a PyAV exception (a 500).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container

from ltx_serve.errors import FieldError

logger = logging.getLogger(__name__)

# Demuxers FFmpeg uses for still images: a PNG or JPEG opens as a one-frame "video".
_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe"}

DEFAULT_MAX_SECONDS = 600.0
DEFAULT_MAX_PIXELS = 4096 * 4096

# Everything PyAV/FFmpeg raises for unreadable input.
DECODE_ERRORS: tuple[type[BaseException], ...] = (av.FFmpegError, OSError, ValueError, EOFError)


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream, as it should be DISPLAYED (rotation applied to the size)."""

    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int  # counter-clockwise degrees to turn coded frames upright (0/90/180/270)
    fps: Fraction
    duration: float
    num_frames: int  # container's count, or duration * fps when the container has none
    codec: str


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    duration: float
    codec: str


@dataclass(frozen=True)
class MediaInfo:
    format_name: str
    duration: float
    video: VideoInfo | None
    audio: AudioInfo | None


def reason(exc: BaseException) -> str:
    """The decoder's complaint without the server-local file path (callers must not see it)."""
    text = getattr(exc, "strerror", None) or type(exc).__name__
    return str(text)


def check_file(path: Path, field: str) -> None:
    """Reject missing and zero-length files with a message the caller can act on."""
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        raise FieldError(field, f"The file for '{field}' could not be read ({reason(exc)}).") from exc
    if size == 0:
        raise FieldError(field, f"The file for '{field}' is empty (0 bytes); upload the media again.")


@contextlib.contextmanager
def open_media(path: Path, field: str) -> Iterator[av.container.InputContainer]:
    """Open ``path`` with PyAV; any failure (while opening or reading) becomes FieldError."""
    check_file(path, field)
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except DECODE_ERRORS as exc:
        raise FieldError(
            field, f"The file for '{field}' is not a readable media file or is corrupt ({reason(exc)})."
        ) from exc
    try:
        yield container
    except DECODE_ERRORS as exc:
        raise FieldError(field, f"The file for '{field}' is corrupt or truncated ({reason(exc)}).") from exc
    finally:
        container.close()


def normalise_rotation(degrees: float) -> int:
    """Snap a display-matrix angle to 0/90/180/270 (counter-clockwise)."""
    return round(degrees / 90.0) % 4 * 90


def stream_rotation(stream: av.video.stream.VideoStream) -> int:
    """Rotation from the legacy ``rotate`` tag (clockwise degrees), as CCW degrees."""
    tag = next((v for k, v in stream.metadata.items() if k.lower() == "rotate"), None)
    if not tag:
        return 0
    try:
        return normalise_rotation(-float(tag))
    except ValueError:
        return 0


def is_image_container(container: av.container.InputContainer) -> bool:
    """True when FFmpeg opened a still image rather than a video."""
    return bool(set(container.format.name.split(",")) & _IMAGE_FORMATS)


def video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    """The first real video stream: cover art in audio files (attached pictures) is not one."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _video_info(container: av.container.InputContainer) -> VideoInfo | None:
    stream = video_stream(container)
    if stream is None:
        return None
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(24)
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    frames = int(stream.frames or 0) or round(duration * float(rate))
    # The display matrix is only visible on decoded frames; peek at the first one.
    rotation = stream_rotation(stream)
    with contextlib.suppress(*DECODE_ERRORS, StopIteration):
        first = next(container.decode(stream))
        rotation = normalise_rotation(first.rotation) or rotation
    w, h = ctx.width, ctx.height
    dw, dh = (h, w) if rotation in (90, 270) else (w, h)
    return VideoInfo(dw, dh, w, h, rotation, Fraction(rate), duration, frames, ctx.name)


def _audio_info(container: av.container.InputContainer) -> AudioInfo | None:
    if not container.streams.audio:
        return None
    stream = container.streams.audio[0]
    ctx = stream.codec_context
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    return AudioInfo(int(ctx.sample_rate or 0), int(ctx.channels or 0), duration, ctx.name)


def probe(path: Path, field: str) -> MediaInfo:
    """Describe a media file; raises FieldError when it cannot be read at all."""
    with open_media(path, field) as container:
        video = None if is_image_container(container) else _video_info(container)
        audio = _audio_info(container)
        duration = container.duration / av.time_base if container.duration is not None else 0.0
        if video is not None:
            duration = max(duration, video.duration)
        return MediaInfo(container.format.name, duration, video, audio)


def require_video(info: MediaInfo, field: str, *, max_seconds: float, max_pixels: int) -> VideoInfo:
    """The video stream, or a FieldError saying what is wrong with the upload."""
    if info.video is None:
        if info.format_name.split(",")[0] in _IMAGE_FORMATS:
            raise FieldError(
                field, f"'{field}' must be a video, but the file is an image; send an MP4/WebM/MOV."
            )
        raise FieldError(field, f"The file for '{field}' has no video stream; send a video file.")
    video = info.video
    if video.width <= 0 or video.height <= 0:
        raise FieldError(field, f"The video in '{field}' has no valid frame size.")
    if video.width * video.height > max_pixels:
        raise FieldError(
            field,
            f"The video in '{field}' is {video.width}x{video.height}; the limit is {max_pixels} pixels per "
            "frame. Downscale it first.",
        )
    if video.duration > max_seconds:
        raise FieldError(
            field,
            f"The video in '{field}' lasts {video.duration:.1f}s; the limit is {max_seconds:.0f}s. Trim it.",
        )
    return video


def require_audio(info: MediaInfo, field: str, *, max_seconds: float = DEFAULT_MAX_SECONDS) -> AudioInfo:
    """The audio stream, or a FieldError saying what is wrong with the upload."""
    if info.audio is None:
        raise FieldError(field, f"The file for '{field}' has no audio stream; send a file with sound.")
    if info.audio.duration > max_seconds:
        raise FieldError(
            field,
            f"The audio in '{field}' lasts {info.audio.duration:.1f}s; the limit is {max_seconds:.0f}s.",
        )
    return info.audio
