"""Depth control: Depth-Anything-V2-Small (transformers) with clip-global normalisation.

The official workflow uses Video Depth Anything; DA-V2-Small per frame is the stand-in the
research note recommends (same Apache-2.0 family, loads from a local transformers folder).
Per-frame min-max would flicker, so the relative disparity of the WHOLE clip is
normalised with one min and max: near is bright, far is dark, grey replicated to 3
channels. The model runs on CUDA when available, in fp32 (as the workflow's "fp32").
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ltx_serve.control.weights import depth_model_dir

logger = logging.getLogger(__name__)

BATCH_SIZE = 4


@functools.lru_cache(maxsize=1)
def _load(folder: Path) -> tuple[Any, Any, str]:
    import torch
    from transformers import AutoImageProcessor, DepthAnythingForDepthEstimation

    device = "cuda" if torch.cuda.is_available() else "cpu"
    logger.info("loading depth model from %s on %s", folder, device)
    processor = AutoImageProcessor.from_pretrained(str(folder), local_files_only=True)
    model = DepthAnythingForDepthEstimation.from_pretrained(str(folder), local_files_only=True)
    return processor, model.to(device).eval(), device


def estimate_disparity(frames: np.ndarray, weights_dir: Path, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """[F, H, W, 3] uint8 -> [F, H, W] float32 relative disparity (larger = nearer)."""
    import torch

    processor, model, device = _load(depth_model_dir(weights_dir).resolve())
    h, w = frames.shape[1:3]
    out = np.empty(frames.shape[:3], np.float32)
    with torch.inference_mode():
        for start in range(0, len(frames), batch_size):
            batch = list(frames[start : start + batch_size])
            inputs = processor(images=batch, return_tensors="pt").to(device)
            outputs = model(**inputs)
            maps = processor.post_process_depth_estimation(outputs, target_sizes=[(h, w)] * len(batch))
            for i, item in enumerate(maps):
                out[start + i] = item["predicted_depth"].float().cpu().numpy()
    return out


def normalise_clip(disparity: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Min-max over the whole clip to uint8 grey, 3 channels (a constant clip becomes black).

    ``value_range`` (lo, hi) lets a caller normalise a chunk with the whole clip's range.
    """
    lo, hi = value_range if value_range is not None else (float(disparity.min()), float(disparity.max()))
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    grey = disparity - np.float32(lo)
    grey *= np.float32(scale)
    np.clip(grey, 0, 255, out=grey)
    np.rint(grey, out=grey)
    return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=-1)


def render_depth(frames: np.ndarray, weights_dir: Path) -> np.ndarray:
    """[F, H, W, 3] uint8 RGB -> [F, H, W, 3] uint8 depth control frames (same size)."""
    if len(frames) == 0:
        return frames.copy()
    return normalise_clip(estimate_disparity(frames, weights_dir))
