"""Safety checker: frame sampling, the missing-model policy, flagged output -> fal's 422."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ltx_serve.engine import safety as s
from ltx_serve.errors import ValidationFailed

from .conftest import tiny_nsfw_classifier


def test_sample_indices_cover_the_clip() -> None:
    assert s.sample_indices(121) == [0, 17, 34, 51, 69, 86, 103, 120]
    assert s.sample_indices(5) == [0, 1, 2, 3, 4]
    assert s.sample_indices(0) == []


def test_absent_model_skip_logs_and_refuse_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    logs: list[tuple[str, str]] = []
    skip = s.SafetyChecker.load(tmp_path, "skip")
    assert "no NSFW classifier" in caplog.text  # said at start-up
    assert not skip.available and skip.describe() == "absent (skip)"
    assert skip.before_run(True, lambda m, level="INFO": logs.append((level, m))) is False
    assert logs and logs[0][0] == "WARN"
    assert skip.before_run(False, lambda *a: None) is False
    refuse = s.SafetyChecker.load(tmp_path, "refuse")
    with pytest.raises(s.SafetyUnavailable) as err:
        refuse.before_run(True, lambda *a: None)
    assert err.value.status_code == 422
    assert err.value.detail()[0]["loc"] == ["body", "enable_safety_checker"]
    assert refuse.before_run(False, lambda *a: None) is False  # the caller opted out


def test_flagged_frames_raise_fal_content_policy_422(tmp_path: Path) -> None:
    folder = tiny_nsfw_classifier(tmp_path / s.FOLDER_NAME, nsfw=True)
    checker = s.SafetyChecker.load(tmp_path, "skip")
    assert checker.available and checker.before_run(True, lambda *a: None)
    frames = [np.full((48, 64, 3), 128, np.uint8)] * 3
    with pytest.raises(ValidationFailed) as err:
        checker.check(frames)
    entry = err.value.errors[0]
    assert err.value.status_code == 422
    assert entry["loc"] == ["body", "prompt"] and entry["type"] == "content_policy_violation"
    assert folder.is_dir()


def test_clean_frames_pass(tmp_path: Path) -> None:
    tiny_nsfw_classifier(tmp_path / s.FOLDER_NAME, nsfw=False)
    checker = s.SafetyChecker.load(tmp_path, "refuse")
    score = checker.check([np.zeros((32, 32, 3), np.uint8), np.full((64, 40, 3), 255, np.uint8)])
    assert score < s.THRESHOLD


@pytest.mark.slow
def test_engine_deletes_flagged_output(engine, make_ctx, files, media, tmp_path: Path) -> None:
    from ltx_serve.engine.recipes import REFERENCE_ENDPOINT
    from ltx_serve.schemas.validation import validate_input

    tiny_nsfw_classifier(tmp_path / s.FOLDER_NAME, nsfw=True)
    original = engine.safety
    engine.safety = s.SafetyChecker.load(tmp_path, "skip")
    try:
        payload = {
            "prompt": "x",
            "video_url": str(media["video"]),
            "resolution": {"width": 64, "height": 64},
            "num_frames": 9,
            "num_inference_steps": 8,
            "enable_prompt_expansion": False,
            "enable_safety_checker": True,
        }
        request = validate_input(REFERENCE_ENDPOINT, files.localize(payload, Path(".")))
        ctx = make_ctx(REFERENCE_ENDPOINT)
        with pytest.raises(ValidationFailed) as err:
            engine.run(REFERENCE_ENDPOINT, request, ctx)
        assert err.value.errors[0]["type"] == "content_policy_violation"
        assert not list(ctx.work_dir.glob("*.mp4"))
        # opting out skips the checker
        payload["enable_safety_checker"] = False
        request = validate_input(REFERENCE_ENDPOINT, files.localize(payload, Path(".")))
        assert engine.run(REFERENCE_ENDPOINT, request, make_ctx(REFERENCE_ENDPOINT)).video.path.is_file()
    finally:
        engine.safety = original
