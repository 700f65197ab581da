"""Engine settings: token limits, the tiny-preset defaults, weights folder resolution."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ltx_serve.config import Settings
from ltx_serve.engine.ltx import LTXEngine, is_tiny_preset, resolve_weights_dir
from ltx_serve.models.presets import LTX23_CONFIG, TINY_CONFIG


def test_tiny_preset_is_recognised_by_its_transformer_config() -> None:
    assert is_tiny_preset(TINY_CONFIG)
    assert not is_tiny_preset(LTX23_CONFIG)
    assert not is_tiny_preset({})


def test_token_limits(tmp_path: Path) -> None:
    engine = LTXEngine(Settings(data_dir=tmp_path))
    assert (engine.text_max_tokens, engine.expansion_max_tokens) == (1024, 512)  # upstream's
    assert LTXEngine(Settings(data_dir=tmp_path, text_max_tokens=256)).text_max_tokens == 256
    with pytest.raises(ValidationError, match="multiple of 128"):
        Settings(text_max_tokens=100)
    assert not engine.is_ready()


def test_settings_come_from_ltx_serve_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LTX_SERVE_WEIGHTS_DIR", "/models/env")
    monkeypatch.setenv("LTX_SERVE_TEXT_MAX_TOKENS", "256")
    monkeypatch.setenv("LTX_SERVE_SAFETY_MISSING", "refuse")
    settings = Settings()
    assert resolve_weights_dir(settings) == Path("/models/env")
    assert (settings.text_max_tokens, settings.safety_missing) == (256, "refuse")
    assert resolve_weights_dir(Settings(weights_dir=Path("/models/set"))) == Path("/models/set")
