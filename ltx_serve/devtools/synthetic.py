"""Synthetic inputs for the demo and tests: a moving-shapes reference video and a tone.

The clip has clear edges and motion (a bouncing disc and a sliding bar on a gradient), so
the Canny control estimator produces a meaningful control video; it carries a stereo sine
tone so video-to-video has input audio to condition on. Written with PyAV (H.264 + AAC).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np


def shapes_frame(index: int, width: int, height: int, num_frames: int) -> np.ndarray:
    """One uint8 RGB frame: gradient background, a bouncing disc, a sliding bar."""
    t = index / max(num_frames - 1, 1)
    ys, xs = np.mgrid[0:height, 0:width]
    frame = np.empty((height, width, 3), np.uint8)
    frame[..., 0] = (40 + 80 * xs / max(width - 1, 1)).astype(np.uint8)
    frame[..., 1] = (30 + 60 * ys / max(height - 1, 1)).astype(np.uint8)
    frame[..., 2] = 90
    radius = max(4, min(width, height) // 6)
    cx = radius + (width - 2 * radius) * t
    cy = height / 2 + (height / 2 - radius) * 0.8 * math.sin(2 * math.pi * t)
    disc = (xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2
    frame[disc] = (230, 200, 40)
    bar_w = max(4, width // 8)
    left = int((width - bar_w) * (1 - t))
    top, bottom = height // 8, height // 8 + max(4, height // 10)
    frame[top:bottom, left : left + bar_w] = (240, 240, 240)
    return frame


def tone(seconds: float, sample_rate: int = 48_000, freq: float = 440.0) -> np.ndarray:
    """A stereo sine tone [2, N] float32 (left at `freq`, right a fifth above)."""
    n = round(seconds * sample_rate)
    t = np.arange(n, dtype=np.float32) / sample_rate
    left = 0.3 * np.sin(2 * np.pi * freq * t)
    right = 0.3 * np.sin(2 * np.pi * freq * 1.5 * t)
    return np.stack([left, right]).astype(np.float32)


def write_reference_video(
    path: Path,
    *,
    width: int = 320,
    height: int = 192,
    num_frames: int = 49,
    fps: int = 24,
    audio: bool = True,
) -> Path:
    """Write the moving-shapes clip (H.264, yuv420p; AAC stereo tone when `audio`)."""
    import av

    path = Path(path)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        astream = None
        if audio:
            astream = container.add_stream("aac", rate=48_000, layout="stereo")
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(shapes_frame(i, width, height, num_frames), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if astream is not None:
            samples = tone(num_frames / fps)
            step = 48_000
            for start in range(0, samples.shape[1], step):
                chunk = np.ascontiguousarray(samples[:, start : start + step])
                aframe = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                aframe.sample_rate = 48_000
                for packet in astream.encode(aframe):
                    container.mux(packet)
            for packet in astream.encode(None):
                container.mux(packet)
    return path


def write_tone_file(path: Path, seconds: float = 2.0, sample_rate: int = 44_100) -> Path:
    """A WAV file with the stereo tone (audio-to-video input)."""
    import av

    path = Path(path)
    samples = tone(seconds, sample_rate)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=sample_rate, layout="stereo")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm.T.reshape(1, -1)), format="s16", layout="stereo"
        )
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
