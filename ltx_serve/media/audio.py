"""Audio decoding: any container/codec to float32 stereo at a requested sample rate.

* Resampling uses PyAV's ``AudioResampler`` (libswresample).
* Mono is upmixed by COPYING the channel to left and right. libswresample's own
  mono->stereo matrix attenuates by 3 dB (x0.707); the copy keeps the loudness a user
  hears from a mono file, which matters when the track is muxed back unchanged.
* More than two channels are downmixed to stereo by libswresample's standard matrix.
* ``duration`` trims, or pads with silence, to exactly ``round(duration * rate)`` samples so
  that audio and video lengths agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ltx_serve.errors import FieldError
from ltx_serve.media.probe import DEFAULT_MAX_SECONDS, open_media, probe, require_audio

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Audio:
    """A waveform: ``samples`` is float32 [channels, N] in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])


def fit_length(samples: np.ndarray, num_samples: int) -> np.ndarray:
    """Trim or zero-pad [C, N] samples to exactly ``num_samples``."""
    n = samples.shape[1]
    if n >= num_samples:
        return np.ascontiguousarray(samples[:, :num_samples])
    pad = np.zeros((samples.shape[0], num_samples - n), dtype=samples.dtype)
    return np.concatenate([samples, pad], axis=1)


def decode_audio(
    path: Path,
    field: str,
    *,
    sample_rate: int = 48_000,
    duration: float | None = None,
    start: float = 0.0,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> Audio:
    """Decode the first audio stream to stereo float32 at ``sample_rate``.

    Raises FieldError when the file has no audio stream, is corrupt, or is longer than
    ``max_seconds`` (checked on the container before decoding).
    """
    info = probe(path, field)
    audio_info = require_audio(info, field, max_seconds=max_seconds)
    mono = audio_info.channels == 1
    resampler = av.AudioResampler(format="fltp", layout="mono" if mono else "stereo", rate=sample_rate)
    first = round(start * sample_rate)
    wanted = None if duration is None else round(duration * sample_rate)
    parts: list[np.ndarray] = []
    total = 0
    with open_media(path, field) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            frame.pts = None  # let the resampler count samples; input PTS gaps are not ours
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray())
                total += out.samples
            if wanted is not None and total >= first + wanted:
                break
        else:
            for out in resampler.resample(None):
                parts.append(out.to_ndarray())
                total += out.samples
    if not parts:
        raise FieldError(field, f"The audio in '{field}' contains no decodable samples.")
    samples = np.concatenate(parts, axis=1).astype(np.float32, copy=False)[:, first:]
    if mono:
        samples = np.repeat(samples, 2, axis=0)
    if wanted is not None:
        samples = fit_length(samples, wanted)
    return Audio(np.clip(samples, -1.0, 1.0), sample_rate)
