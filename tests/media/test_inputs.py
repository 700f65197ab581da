from fractions import Fraction
from pathlib import Path

import pytest

from ltx_serve.errors import FieldError
from ltx_serve.media.inputs import audio_timing, video_timing
from tests.media import synth


def test_video_timing_follows_the_source_when_matching(ntsc_clip: Path) -> None:
    timing = video_timing(
        ntsc_clip,
        "video_url",
        requested_fps=24,
        requested_num_frames=121,
        match_input_fps=True,
        match_video_length=True,
    )
    assert timing.fps == Fraction(24000, 1001)
    assert timing.num_frames == 25  # 30 frames -> 8k+1 below


def test_video_timing_keeps_the_request_otherwise(ntsc_clip: Path) -> None:
    timing = video_timing(
        ntsc_clip,
        "video_url",
        requested_fps=25,
        requested_num_frames=121,
        match_input_fps=False,
        match_video_length=False,
    )
    assert (timing.fps, timing.num_frames) == (25, 121)


def test_audio_length_sets_the_frame_count(tmp_path: Path) -> None:
    path = synth.write_audio(tmp_path / "a.wav", synth.tone(3.0, 16_000), 16_000)
    timing = audio_timing(
        path, "audio_url", requested_fps=24, requested_num_frames=121, match_audio_length=True
    )
    assert timing.num_frames == 65  # 72 frames in 3 s -> 65
    assert timing.duration <= 3.0


def test_audio_timing_needs_audio(silent_clip: Path) -> None:
    with pytest.raises(FieldError, match="no audio stream"):
        audio_timing(
            silent_clip, "audio_url", requested_fps=24, requested_num_frames=121, match_audio_length=True
        )
