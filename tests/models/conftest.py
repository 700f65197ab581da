"""Shared fixtures for model-layer tests: the tiny LTX-2.3 set, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ltx_serve.models.tiny import make_tiny


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny(tmp_path_factory.mktemp("tiny-ltx23"), seed=0)


@pytest.fixture(scope="session")
def tiny_components(tiny_dir: Path):
    """fp32 components from the tiny set, loaded through the same loader as real weights."""
    from ltx_serve.models.components import load_components

    return load_components(tiny_dir, device="cpu", dtype=torch.float32)
