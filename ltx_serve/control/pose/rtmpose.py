"""RTMPose whole-body keypoints (DWPose's ``dw-ll_ucoco_384.onnx``): affine crop + SimCC decode.

Each person box is grown by 1.25, widened or heightened to the model's 3:4 aspect, and
warped (no rotation) to a 288x384 crop, normalised with ImageNet mean/std on the 0..255
scale. The model answers 1-D "SimCC" classification vectors per keypoint: x over 576 bins,
y over 768 bins (2 bins per input pixel). The peak bin is the coordinate; the smaller of
the two peak values is the confidence. With no person box the whole frame is used, as in
the reference.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

INPUT_WH = (288, 384)
SIMCC_SPLIT_RATIO = 2.0
BOX_PADDING = 1.25
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def box_to_center_scale(box: np.ndarray, padding: float = BOX_PADDING) -> tuple[np.ndarray, np.ndarray]:
    """(centre, size) of a padded xyxy box, size fixed to the model's aspect ratio."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    center = np.array([(x0 + x1) / 2, (y0 + y1) / 2], np.float32)
    w, h = (x1 - x0) * padding, (y1 - y0) * padding
    aspect = INPUT_WH[0] / INPUT_WH[1]
    if w > h * aspect:
        h = w / aspect
    else:
        w = h * aspect
    return center, np.array([w, h], np.float32)


def crop_matrix(center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """2x3 affine map from image pixels to crop pixels (the box fills the crop)."""
    s = INPUT_WH[0] / float(scale[0])
    return np.array(
        [[s, 0.0, INPUT_WH[0] / 2 - s * center[0]], [0.0, s, INPUT_WH[1] / 2 - s * center[1]]], np.float32
    )


def crop(image: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """[1, 3, 384, 288] normalised float32 crop for one person."""
    warped = cv2.warpAffine(image, crop_matrix(center, scale), INPUT_WH, flags=cv2.INTER_LINEAR)
    normed = (warped.astype(np.float32) - MEAN) / STD
    return np.ascontiguousarray(normed.transpose(2, 0, 1)[None])


def simcc_decode(simcc_x: np.ndarray, simcc_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[K, Wx], [K, Wy] -> keypoints [K, 2] in crop pixels, scores [K] (-1 where no peak)."""
    x = simcc_x.argmax(axis=1)
    y = simcc_y.argmax(axis=1)
    locs = np.stack((x, y), axis=1).astype(np.float32) / SIMCC_SPLIT_RATIO
    scores = np.minimum(simcc_x.max(axis=1), simcc_y.max(axis=1)).astype(np.float32)
    locs[scores <= 0] = -1
    return locs, scores


def estimate(session: Any, image: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints [N, 133, 2] in image pixels and scores [N, 133] for each box."""
    h, w = image.shape[:2]
    if len(boxes) == 0:
        boxes = np.array([[0, 0, w, h]], np.float32)
    name = session.get_inputs()[0].name
    all_points, all_scores = [], []
    for box in boxes:
        center, scale = box_to_center_scale(box)
        simcc_x, simcc_y = session.run(None, {name: crop(image, center, scale)})[:2]
        locs, scores = simcc_decode(simcc_x[0], simcc_y[0])
        points = locs / np.array(INPUT_WH, np.float32) * scale + center - scale / 2
        all_points.append(points)
        all_scores.append(scores)
    return np.stack(all_points), np.stack(all_scores)
