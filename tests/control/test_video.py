from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ltx_serve.control.video import control_from_video
from ltx_serve.errors import FieldError
from tests.media import synth


def test_reference_file_to_control_frames_at_the_request_timing(tmp_path: Path) -> None:
    src = synth.write_video(tmp_path / "ref.mp4", synth.moving_shapes(30, 160, 90), 24)
    clip = control_from_video(src, "video_url", "canny", tmp_path, fps=12, num_frames=9)
    assert clip.frames.shape == (9, 512, 896, 3)
    assert clip.fps == Fraction(12)
    assert clip.size.output == (896, 512)
    # The square moves 2 px per source frame, so at 12 fps edges move between output frames.
    assert not np.array_equal(clip.frames[0], clip.frames[4])


def test_unreadable_reference_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(FieldError) as err:
        control_from_video(bad, "video_url", "canny", tmp_path)
    assert err.value.errors[0]["loc"] == ["body", "video_url"]
