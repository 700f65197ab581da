"""Tiny control weights built once per session (no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.control import tiny_models


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A weights folder laid out like the real one: depth folder + the two DWPose ONNX files."""
    root = tmp_path_factory.mktemp("weights")
    tiny_models.build_tiny_depth(root / "Depth-Anything-V2-Small-hf")
    tiny_models.build_random_yolox(root / "yolox_l.onnx")
    tiny_models.build_random_rtmpose(root / "dw-ll_ucoco_384.onnx")
    return root
