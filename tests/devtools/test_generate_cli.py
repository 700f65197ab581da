"""`ltx-serve generate`: a request JSON with local media in, a video + fal output JSON out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ltx_serve.devtools.generate_cli import generate


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(generate)
    return app


def test_invalid_request_prints_fal_422_and_exits_2(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"prompt": "x", "num_frames": 5}))
    result = CliRunner().invoke(
        _app(), ["fal-ai/ltx-2.3-22b/video-to-video", "--input", str(request), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    detail = json.loads(result.stderr)["detail"]
    assert {tuple(e["loc"]) for e in detail} >= {("body", "video_url"), ("body", "num_frames")}


@pytest.mark.slow
def test_generate_writes_video_and_output_json(
    tmp_path: Path, tiny_weights: Path, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LTX_SERVE_TEXT_MAX_TOKENS", "128")
    monkeypatch.setenv("LTX_SERVE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "clip.mp4").write_bytes(media["video"].read_bytes())
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "prompt": "shapes",
                "video_url": "clip.mp4",  # relative to the JSON file
                "resolution": {"width": 64, "height": 64},
                "num_frames": 9,
                "num_inference_steps": 8,
                "seed": 42,
                "enable_prompt_expansion": False,
            }
        )
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        _app(),
        [
            "fal-ai/ltx-2.3-quality/reference-video-to-video",
            "--input",
            str(request),
            "--out",
            str(out),
            "--weights",
            str(tiny_weights),
            "--device",
            "cpu",
        ],
    )
    assert result.exit_code == 0, result.output
    video = out / "output.mp4"
    assert result.stdout.strip().splitlines()[-1] == str(video)
    body = json.loads((out / "output.json").read_text())
    assert body["seed"] == 42 and body["prompt"] == "shapes"
    assert body["video"]["url"] == video.resolve().as_uri()
    assert (body["video"]["width"], body["video"]["height"], body["video"]["num_frames"]) == (64, 64, 9)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["megapixels"] == pytest.approx(64 * 64 * 9 / 1e6)
    assert "stage1" in result.stderr  # the progress bar
