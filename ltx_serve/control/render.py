"""One entry point for control videos: ``render_control(control_type, frames, weights_dir)``.

Input frames are the reference clip at any size. The chain follows the official Union
workflow (see ``resolution.py``): short side 544 (lanczos), annotator at short side 512
(INTER_AREA), then the map is cover-cropped to multiples of 64. The result is the
control video the IC-LoRA guide is built from; its size is the generation size for
``resolution='auto'``.

Work is done in chunks of frames so only the input, the output and (for depth) one
float disparity map per frame are held for the whole clip; depth needs the latter because
it is normalised with the whole clip's min and max.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np

from ltx_serve.control.canny import canny
from ltx_serve.control.composite import composite
from ltx_serve.control.resolution import ControlSize, auto_control_size
from ltx_serve.media.resize import cover_crop, resize_exact

logger = logging.getLogger(__name__)

CHUNK = 16


class ControlType(StrEnum):
    COMPOSITE = "composite"
    CANNY = "canny"
    DEPTH = "depth"
    POSE = "pose"


def to_annotator(frames: np.ndarray, size: ControlSize) -> np.ndarray:
    """Reference -> short side 544 (lanczos) -> annotator size (INTER_AREA), per frame."""
    out = np.empty((len(frames), size.annotator[1], size.annotator[0], 3), np.uint8)
    for i, frame in enumerate(frames):
        ref = resize_exact(frame, *size.reference, interpolation=cv2.INTER_LANCZOS4)
        out[i] = resize_exact(ref, *size.annotator, interpolation=cv2.INTER_AREA)
    return out


def _disparity(frames: np.ndarray, size: ControlSize, weights_dir: Path) -> np.ndarray:
    from ltx_serve.control.depth import estimate_disparity

    out = np.empty((len(frames), size.annotator[1], size.annotator[0]), np.float32)
    for start in range(0, len(frames), CHUNK):
        chunk = to_annotator(frames[start : start + CHUNK], size)
        out[start : start + len(chunk)] = estimate_disparity(chunk, weights_dir)
    return out


def render_control(
    control_type: ControlType | str,
    frames: np.ndarray,
    weights_dir: Path,
    size: ControlSize | None = None,
) -> np.ndarray:
    """[F, H, W, 3] uint8 reference frames -> [F, h, w, 3] uint8 control frames.

    ``size`` defaults to ``auto_control_size`` of the input (e.g. 1920x1080 -> 896x512).
    Missing depth/pose weights raise ``MissingControlWeights`` naming what to install.
    """
    kind = ControlType(control_type)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames [F, H, W, 3], got {frames.dtype} {frames.shape}")
    size = size or auto_control_size(frames.shape[2], frames.shape[1])
    weights_dir = Path(weights_dir)
    out_w, out_h = size.output
    out = np.empty((len(frames), out_h, out_w, 3), np.uint8)

    disparity: np.ndarray | None = None
    value_range = (0.0, 0.0)
    if kind in (ControlType.DEPTH, ControlType.COMPOSITE):
        disparity = _disparity(frames, size, weights_dir)
        value_range = (float(disparity.min()), float(disparity.max())) if len(disparity) else (0.0, 0.0)
    pose_model = None
    if kind in (ControlType.POSE, ControlType.COMPOSITE):
        from ltx_serve.control.pose.dwpose import DWPose

        pose_model = DWPose(weights_dir)

    for start in range(0, len(frames), CHUNK):
        stop = min(len(frames), start + CHUNK)
        depth = None
        if disparity is not None:
            from ltx_serve.control.depth import normalise_clip

            depth = normalise_clip(disparity[start:stop], value_range)
        if kind is ControlType.DEPTH:
            maps = depth
        else:
            annotated = to_annotator(frames[start:stop], size)
            pose = np.stack([pose_model(f) for f in annotated]) if pose_model is not None else None
            if kind is ControlType.CANNY:
                maps = canny(annotated)
            elif kind is ControlType.POSE:
                maps = pose
            else:
                assert depth is not None and pose is not None
                maps = composite(depth, canny(annotated), pose)
        assert maps is not None
        for i, frame in enumerate(maps):
            out[start + i] = cover_crop(frame, out_w, out_h)
    return out
