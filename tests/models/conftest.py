"""Shared fixtures for model-layer tests: the tiny LTX-2.3 set, made once per session."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from ltx_serve.models import catalog

SIX_BLOCKS = 6  # enough blocks for fp8 storage to cast some: blocks 0, 1, 4, 5 stay bf16


@pytest.fixture(scope="session")
def tiny_dir(tiny_weights_dir: Path) -> Path:
    return tiny_weights_dir


@pytest.fixture(scope="session")
def tiny_components(tiny_dir: Path):
    """fp32 components from the tiny set, loaded through the same loader as real weights."""
    from ltx_serve.models.components import load_components

    return load_components(tiny_dir, device="cpu", dtype=torch.float32)


@pytest.fixture(scope="session")
def six_block_dir(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny set with a 6-block transformer (the tiny one has 2, all of which fp8 storage
    keeps in bf16), its distilled LoRA, and the tiny Gemma."""
    from ltx_serve.models.presets import TINY_CONFIG
    from ltx_serve.models.tiny import lora_targets, write_lora, write_single_file

    out = tmp_path_factory.mktemp("six-blocks")
    config = copy.deepcopy(TINY_CONFIG)
    config["transformer"]["num_layers"] = SIX_BLOCKS
    write_single_file(out / catalog.BY_KEY["dev"].filename, config, seed=0)
    write_lora(
        out / catalog.BY_KEY["distilled_lora"].filename, lora_targets(config, video_only=False), seed=0
    )
    gemma = catalog.BY_KEY["gemma"].filename
    (out / gemma).symlink_to(tiny_dir / gemma, target_is_directory=True)
    return out
