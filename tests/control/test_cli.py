from fractions import Fraction
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ltx_serve.control import cli
from ltx_serve.control.cli import control
from ltx_serve.media.decode import decode_video
from ltx_serve.media.probe import probe
from tests.media import synth


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(control)
    return app


def test_control_command_writes_a_matching_control_video(tmp_path: Path) -> None:
    src = synth.write_video(tmp_path / "ref.mp4", synth.moving_shapes(17, 128, 72), Fraction(30000, 1001))
    out = tmp_path / "sub" / "control.mp4"
    result = CliRunner().invoke(_app(), ["canny", str(src), str(out)])
    assert result.exit_code == 0, result.output
    info = probe(out, "out")
    assert info.video is not None
    assert (info.video.width, info.video.height) == (896, 512)
    assert info.video.fps == Fraction(30000, 1001)
    assert info.audio is None
    frames = decode_video(out, "out").frames
    assert len(frames) == 17
    assert frames.max() > 200 and frames[:, :20, :20].max() < 30  # edges, black background


@pytest.mark.slow
def test_depth_with_local_weights(tmp_path: Path, tiny_weights: Path) -> None:
    src = synth.write_video(tmp_path / "ref.mp4", synth.moving_shapes(9, 64, 64), 24)
    out = tmp_path / "depth.mp4"
    result = CliRunner().invoke(_app(), ["depth", str(src), str(out), "--weights", str(tiny_weights)])
    assert result.exit_code == 0, result.output
    assert probe(out, "out").video.width == 512  # type: ignore[union-attr]


def test_missing_weights_and_bad_input_exit_with_a_message(tmp_path: Path) -> None:
    src = synth.write_video(tmp_path / "ref.mp4", synth.moving_shapes(9, 64, 64), 24)
    result = CliRunner().invoke(
        _app(), ["pose", str(src), str(tmp_path / "o.mp4"), "--weights", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "yolox_l.onnx" in result.output
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    result = CliRunner().invoke(_app(), ["canny", str(bad), str(tmp_path / "o.mp4")])
    assert result.exit_code == 2
    assert "input" in result.output
    assert not (tmp_path / "o.mp4").exists()


def test_long_inputs_keep_the_first_frames_up_to_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs longer than fal's 481-frame maximum are cut (cap lowered here to keep the test small)."""
    monkeypatch.setattr(cli, "MAX_FRAMES", 17)
    src = synth.write_video(tmp_path / "long.mp4", synth.index_frames(25, 32, 18), 24)
    out = tmp_path / "long_control.mp4"
    result = CliRunner().invoke(_app(), ["canny", str(src), str(out)])
    assert result.exit_code == 0, result.output
    assert "first 17" in result.output
    assert len(decode_video(out, "out").frames) == 17
