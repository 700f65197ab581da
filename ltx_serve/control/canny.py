"""Canny edge control, as the official LTX-2.3 Union workflow computes it.

comfyui_controlnet_aux ``CannyEdgePreprocessor`` (low 92, high 200, detect resolution 512):
``cv2.Canny`` on the 3-channel RGB image (OpenCV then uses the largest gradient over the
channels, so colour-only edges survive), white edges on black, replicated to 3 channels.
Frames are expected at the annotator size already (short side 512, INTER_AREA).
"""

from __future__ import annotations

import cv2
import numpy as np

LOW_THRESHOLD = 92
HIGH_THRESHOLD = 200


def canny_frame(rgb: np.ndarray, low: int = LOW_THRESHOLD, high: int = HIGH_THRESHOLD) -> np.ndarray:
    """HxWx3 uint8 RGB -> HxWx3 uint8 edge map (255 on edges, 0 elsewhere)."""
    edges = cv2.Canny(np.ascontiguousarray(rgb), low, high)
    return np.repeat(edges[:, :, None], 3, axis=2)


def canny(frames: np.ndarray, low: int = LOW_THRESHOLD, high: int = HIGH_THRESHOLD) -> np.ndarray:
    """[F, H, W, 3] uint8 -> [F, H, W, 3] uint8 edge maps."""
    return np.stack([canny_frame(f, low, high) for f in frames]) if len(frames) else frames.copy()
