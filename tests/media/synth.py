"""Synthetic media for tests: moving shapes, a moving stick figure, tones, and writers.

Importable as ``tests.media.synth`` by any test. Files are written with PyAV directly
(not with ``ltx_serve.media.encode``) so decode tests do not depend on our encoder.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

BACKGROUND = (40, 40, 40)
SQUARE = (255, 255, 255)


def square_box(index: int, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the white square in frame ``index`` (moves 2 px/frame right)."""
    side = max(4, min(width, height) // 4)
    x0 = (4 + 2 * index) % max(1, width - side - 4)
    y0 = (height - side) // 2
    return x0, y0, x0 + side, y0 + side


def moving_shapes(num_frames: int, width: int = 96, height: int = 64) -> np.ndarray:
    """[F, H, W, 3] uint8: flat grey background, a white square moving right, a red disc."""
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    for i in range(num_frames):
        frame = np.full((height, width, 3), BACKGROUND, np.uint8)
        x0, y0, x1, y1 = square_box(i, width, height)
        frame[y0:y1, x0:x1] = SQUARE
        cv2.circle(frame, (width - width // 5, height // 4), max(2, height // 10), (220, 30, 30), -1)
        frames[i] = frame
    return frames


def index_frames(num_frames: int, width: int = 64, height: int = 48) -> np.ndarray:
    """Frames whose brightness encodes their index (i * 4): lets tests see which frame is which."""
    values = (np.arange(num_frames) * 4 % 256).astype(np.uint8)
    return np.broadcast_to(values[:, None, None, None], (num_frames, height, width, 3)).copy()


def frame_index_of(frame: np.ndarray) -> int:
    """Inverse of ``index_frames`` (robust to codec noise)."""
    return round(float(frame.mean()) / 4)


# 18 OpenPose-order body points of a standing figure in a 1 x 1 box (x, y).
STICK_FIGURE = np.array(
    [
        (0.50, 0.10),
        (0.50, 0.22),
        (0.38, 0.22),
        (0.32, 0.38),
        (0.28, 0.52),
        (0.62, 0.22),
        (0.68, 0.38),
        (0.72, 0.52),
        (0.42, 0.55),
        (0.40, 0.75),
        (0.40, 0.95),
        (0.58, 0.55),
        (0.60, 0.75),
        (0.60, 0.95),
        (0.47, 0.08),
        (0.53, 0.08),
        (0.44, 0.10),
        (0.56, 0.10),
    ],
    dtype=np.float64,
)


def stick_figure(num_frames: int, width: int = 128, height: int = 128) -> np.ndarray:
    """A white stick figure on black walking right (what a pose detector would see)."""
    frames = np.zeros((num_frames, height, width, 3), np.uint8)
    pairs = [
        (1, 2),
        (1, 5),
        (2, 3),
        (3, 4),
        (5, 6),
        (6, 7),
        (1, 8),
        (8, 9),
        (9, 10),
        (1, 11),
        (11, 12),
        (12, 13),
    ]
    for i in range(num_frames):
        pts = STICK_FIGURE * [width * 0.6, height * 0.9] + [width * 0.05 + i * 2, height * 0.05]
        for a, b in pairs:
            cv2.line(
                frames[i], tuple(int(v) for v in pts[a]), tuple(int(v) for v in pts[b]), (255, 255, 255), 3
            )
        cv2.circle(frames[i], tuple(int(v) for v in pts[0]), max(3, width // 20), (255, 255, 255), -1)
    return frames


def tone(duration: float, sample_rate: int = 48_000, freq: float = 440.0, channels: int = 2) -> np.ndarray:
    """[C, N] float32 sine at 0.5 amplitude."""
    n = round(duration * sample_rate)
    wave = 0.5 * np.sin(2 * math.pi * freq * np.arange(n) / sample_rate).astype(np.float32)
    return np.repeat(wave[None], channels, axis=0)


def write_video(
    path: Path,
    frames: np.ndarray,
    fps: float | Fraction = 24,
    *,
    codec: str = "libx264",
    audio: np.ndarray | None = None,
    sample_rate: int = 48_000,
    rotation: int = 0,
    rotate_tag: int | None = None,
    pts: list[int] | None = None,
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
) -> Path:
    """Write frames (and optional [C, N] audio) with PyAV.

    ``rotation`` sets the display matrix (counter-clockwise degrees, as phones write it);
    ``rotate_tag`` writes the legacy ``rotate`` metadata tag instead (use a .mkv path);
    ``pts`` gives each frame's timestamp in 1/fps units (variable frame rate).
    """
    fps = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps, options=options or {"crf": "10", "preset": "ultrafast"})
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = pix_fmt
        if rotation:
            stream.set_display_rotation(rotation)
        if rotate_tag is not None:
            stream.metadata["rotate"] = str(rotate_tag)  # legacy tag (clockwise degrees)
        astream = None
        if audio is not None:
            acodec = "pcm_s16le" if str(path).endswith((".mov", ".mkv", ".avi")) else "aac"
            layout = "mono" if audio.shape[0] == 1 else "stereo"
            astream = out.add_stream(acodec, rate=sample_rate, layout=layout)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i if pts is None else pts[i]
            frame.time_base = 1 / fps
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if astream is not None and audio is not None:
            write_audio_frames(out, astream, audio, sample_rate)
    return path


def write_audio_frames(
    out: av.container.OutputContainer, stream: av.AudioStream, audio: np.ndarray, rate: int
) -> None:
    layout = "mono" if audio.shape[0] == 1 else "stereo"
    for start in range(0, audio.shape[1], 4096):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(audio[:, start : start + 4096], np.float32), format="fltp", layout=layout
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def write_audio(path: Path, audio: np.ndarray, sample_rate: int = 48_000, codec: str | None = None) -> Path:
    """Write an audio-only file (.wav -> PCM, .m4a -> AAC, .ogg -> Opus/Vorbis, .mp3)."""
    codec = (
        codec or {".wav": "pcm_s16le", ".m4a": "aac", ".mp3": "libmp3lame", ".ogg": "libopus"}[path.suffix]
    )
    with av.open(str(path), "w") as out:
        layout = "mono" if audio.shape[0] == 1 else "stereo"
        stream = out.add_stream(codec, rate=sample_rate, layout=layout)
        write_audio_frames(out, stream, audio, sample_rate)
    return path


def write_image(path: Path, array: np.ndarray, *, exif_orientation: int | None = None) -> Path:
    """Save an HxWx3/4 uint8 array with PIL, optionally tagging an EXIF orientation."""
    img = Image.fromarray(array)
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    img.save(path, **kwargs)
    return path


def write_mp3_with_cover(path: Path, audio: np.ndarray, sample_rate: int = 44_100) -> Path:
    """An .mp3 carrying cover art: FFmpeg shows the art as an (attached picture) video stream."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libmp3lame", rate=sample_rate, layout="stereo")
        cover = out.add_stream("mjpeg", rate=1)
        cover.width, cover.height, cover.pix_fmt = 32, 32, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        art = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 200, np.uint8)).reformat(format="yuvj420p")
        for packet in [*cover.encode(art), *cover.encode()]:
            out.mux(packet)
        write_audio_frames(out, stream, audio, sample_rate)
    return path
