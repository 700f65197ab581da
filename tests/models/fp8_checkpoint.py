"""Synthetic fp8 single files in the official FP8 checkpoint's layout, for loader and plan tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def write_fp8_checkpoint(src: Path, dst: Path, select: Callable[[str], bool]) -> list[str]:
    """Copy the Lightricks single file `src` to `dst` with every selected `*.weight` stored as
    the official FP8 file stores it: float8_e4m3fn with a per-tensor `.weight_scale` (amax ->
    448) and an unused `.input_scale`. Returns the quantised keys."""
    with safe_open(str(src), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(src))
    quantised = sorted(k for k in tensors if k.endswith(".weight") and select(k))
    for k in quantised:
        w = tensors[k].float()
        scale = w.abs().max() / 448.0
        tensors[k] = (w / scale).to(torch.float8_e4m3fn)
        tensors[k.removesuffix(".weight") + ".weight_scale"] = scale.reshape(())
        tensors[k.removesuffix(".weight") + ".input_scale"] = torch.tensor(1.0)
    dst.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(dst), metadata=meta)
    return quantised
