"""Resize policies for decoded frames and images.

Two policies cover every endpoint:

* ``COVER`` scales so the frame covers the target box, then centre-crops: the output is
  exactly the requested size and nothing is distorted (what ``ltx-pipelines`` does for
  conditioning media).
* ``FIT`` scales so the frame fits inside the box, keeping its aspect ratio: the output
  may be smaller than the box on one side (nothing is cropped, nothing padded).

Downscaling uses INTER_AREA (alias-free, what the control annotators use); upscaling uses
bicubic.
"""

from __future__ import annotations

from enum import StrEnum

import cv2
import numpy as np


class ResizeMode(StrEnum):
    COVER = "cover"
    FIT = "fit"


def _interp(src_w: int, src_h: int, dst_w: int, dst_h: int) -> int:
    return cv2.INTER_AREA if dst_w * dst_h < src_w * src_h else cv2.INTER_CUBIC


def resize_exact(image: np.ndarray, width: int, height: int, interpolation: int | None = None) -> np.ndarray:
    """Resize (stretching if needed) an HxWxC uint8 image to ``width`` x ``height``."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    flag = _interp(w, h, width, height) if interpolation is None else interpolation
    return cv2.resize(image, (width, height), interpolation=flag)


def fit_size(src_w: int, src_h: int, max_w: int, max_h: int) -> tuple[int, int]:
    """Largest aspect-preserving size inside ``max_w`` x ``max_h`` (each side >= 1)."""
    scale = min(max_w / src_w, max_h / src_h)
    return max(1, round(src_w * scale)), max(1, round(src_h * scale))


def short_side_size(src_w: int, src_h: int, short: int) -> tuple[int, int]:
    """Size with the shorter side set to ``short`` and the long side rounded."""
    scale = short / min(src_w, src_h)
    return max(1, round(src_w * scale)), max(1, round(src_h * scale))


def cover_crop(image: np.ndarray, width: int, height: int, interpolation: int | None = None) -> np.ndarray:
    """Scale to cover ``width`` x ``height`` then centre-crop to exactly that size."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    scaled = resize_exact(image, new_w, new_h, interpolation)
    top, left = (new_h - height) // 2, (new_w - width) // 2
    return np.ascontiguousarray(scaled[top : top + height, left : left + width])


def resize_frame(
    image: np.ndarray, size: tuple[int, int] | None, mode: ResizeMode = ResizeMode.COVER
) -> np.ndarray:
    """Apply a resize policy; ``size`` is (width, height) or None to keep the frame as is."""
    if size is None:
        return image
    width, height = size
    if mode is ResizeMode.COVER:
        return cover_crop(image, width, height)
    h, w = image.shape[:2]
    fw, fh = fit_size(w, h, width, height)
    return resize_exact(image, fw, fh)


def output_size(src_w: int, src_h: int, size: tuple[int, int] | None, mode: ResizeMode) -> tuple[int, int]:
    """The (width, height) ``resize_frame`` will produce for a ``src_w`` x ``src_h`` frame."""
    if size is None:
        return src_w, src_h
    if mode is ResizeMode.COVER:
        return size
    return fit_size(src_w, src_h, *size)
