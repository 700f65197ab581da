from pathlib import Path

import numpy as np
import pytest

from ltx_serve.errors import FieldError
from ltx_serve.media.audio import decode_audio
from tests.media import synth


def _peak_hz(wave: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave))
    return float(np.fft.rfftfreq(len(wave), 1 / rate)[spectrum.argmax()])


def test_audio_is_resampled_and_trimmed_to_the_duration(indexed_clip: Path) -> None:
    audio = decode_audio(indexed_clip, "video_url", sample_rate=16_000, duration=1.5)
    assert audio.sample_rate == 16_000
    assert audio.samples.shape == (2, 24_000)
    assert audio.samples.dtype == np.float32
    assert abs(_peak_hz(audio.samples[0, 2000:], 16_000) - 440) < 2


def test_short_audio_is_padded_with_silence(tmp_path: Path) -> None:
    path = synth.write_audio(tmp_path / "short.wav", synth.tone(0.5, 24_000), 24_000)
    audio = decode_audio(path, "audio_url", sample_rate=24_000, duration=1.0)
    assert audio.samples.shape == (2, 24_000)
    assert np.abs(audio.samples[:, 12_500:]).max() == 0
    assert np.abs(audio.samples[:, :11_000]).max() > 0.4


def test_mono_is_copied_to_both_channels_at_full_level(tmp_path: Path) -> None:
    path = synth.write_audio(tmp_path / "mono.wav", synth.tone(1.0, 48_000, channels=1), 48_000)
    audio = decode_audio(path, "audio_url", sample_rate=48_000)
    assert audio.channels == 2
    np.testing.assert_array_equal(audio.samples[0], audio.samples[1])
    assert 0.48 < np.abs(audio.samples).max() < 0.52  # not attenuated by 3 dB
    assert abs(audio.duration - 1.0) < 0.01


def test_compressed_audio_file_decodes(tmp_path: Path) -> None:
    path = synth.write_audio(tmp_path / "tone.m4a", synth.tone(1.0, 44_100, freq=1000), 44_100)
    audio = decode_audio(path, "audio_url", sample_rate=48_000)
    assert abs(audio.duration - 1.0) < 0.05
    assert abs(_peak_hz(audio.samples[0], 48_000) - 1000) < 3


def test_audio_with_cover_art_decodes(tmp_path: Path) -> None:
    path = synth.write_mp3_with_cover(tmp_path / "song.mp3", synth.tone(1.0, 44_100))
    audio = decode_audio(path, "audio_url", sample_rate=44_100, duration=1.0)
    assert audio.samples.shape == (2, 44_100)
    assert abs(_peak_hz(audio.samples[0, 4000:], 44_100) - 440) < 2


@pytest.mark.parametrize("case", ["no_audio", "empty", "garbage", "too_long"])
def test_bad_audio_inputs_are_field_errors(case: str, tmp_path: Path, silent_clip: Path) -> None:
    path = silent_clip
    kwargs: dict[str, float] = {}
    if case == "empty":
        path = tmp_path / "e.wav"
        path.write_bytes(b"")
    elif case == "garbage":
        path = tmp_path / "g.wav"
        path.write_bytes(b"RIFF" + bytes(range(256)) * 8)
    elif case == "too_long":
        path = synth.write_audio(tmp_path / "long.wav", synth.tone(2.0, 8000), 8000)
        kwargs["max_seconds"] = 1.0
    with pytest.raises(FieldError) as err:
        decode_audio(path, "audio_url", **kwargs)
    assert err.value.errors[0]["loc"] == ["body", "audio_url"]
