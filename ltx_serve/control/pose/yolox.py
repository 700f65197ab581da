"""YOLOX-L person detector (DWPose's ``yolox_l.onnx``): letterbox, grid decode, NMS.

The exported model takes a 640x640 float image (0..255, no normalisation; the image is
resized keeping its aspect into the top-left corner of a grey-114 canvas) and returns
[1, 8400, 85] rows (x, y, log w, log h, objectness, 80 class probabilities) for the
stride-8/16/32 grids, box regression NOT yet decoded. Thresholds follow DWPose:
candidates with objectness x class > 0.1 go through NMS (IoU 0.45); persons scoring
above 0.3 are kept.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

INPUT_SIZE = (640, 640)  # (height, width)
STRIDES = (8, 16, 32)
PAD_VALUE = 114
NMS_IOU = 0.45
CANDIDATE_SCORE = 0.1
PERSON_SCORE = 0.3
PERSON_CLASS = 0


def letterbox(image: np.ndarray, size: tuple[int, int] = INPUT_SIZE) -> tuple[np.ndarray, float]:
    """[1, 3, H, W] float32 input and the resize ratio (input pixels per image pixel)."""
    h, w = image.shape[:2]
    ratio = min(size[0] / h, size[1] / w)
    new_w, new_h = int(w * ratio), int(h * ratio)
    padded = np.full((size[0], size[1], 3), PAD_VALUE, np.uint8)
    padded[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(padded.transpose(2, 0, 1)[None], dtype=np.float32), ratio


def grid_decode(raw: np.ndarray, size: tuple[int, int] = INPUT_SIZE) -> np.ndarray:
    """Turn raw [N, 85] rows into centre-x, centre-y, w, h in input pixels (in a copy)."""
    grids, strides = [], []
    for stride in STRIDES:
        gh, gw = size[0] // stride, size[1] // stride
        xv, yv = np.meshgrid(np.arange(gw), np.arange(gh))
        grids.append(np.stack((xv, yv), axis=2).reshape(-1, 2))
        strides.append(np.full((gh * gw, 1), stride))
    grid = np.concatenate(grids).astype(np.float32)
    stride_col = np.concatenate(strides).astype(np.float32)
    out = raw.astype(np.float32, copy=True)
    out[:, :2] = (out[:, :2] + grid) * stride_col
    out[:, 2:4] = np.exp(np.clip(out[:, 2:4], -20.0, 20.0)) * stride_col
    return out


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = NMS_IOU) -> list[int]:
    """Greedy non-maximum suppression; indices of kept boxes, best first."""
    x0, y0, x1, y1 = boxes.T
    areas = (x1 - x0 + 1) * (y1 - y0 + 1)
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        iw = np.maximum(0.0, np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]) + 1)
        ih = np.maximum(0.0, np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]) + 1)
        inter = iw * ih
        iou = inter / (areas[best] + areas[rest] - inter)
        order = rest[iou <= iou_threshold]
    return keep


def postprocess(raw: np.ndarray, ratio: float) -> np.ndarray:
    """[8400, 85] model rows -> [N, 4] person boxes (x0, y0, x1, y1) in image pixels."""
    pred = grid_decode(raw)
    scores = pred[:, 4:5] * pred[:, 5:]
    cx, cy, w, h = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
    boxes = np.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), axis=1) / ratio
    # NMS is per class in the reference; only the person class survives, so run just that one.
    person = scores[:, PERSON_CLASS]
    candidates = np.flatnonzero(person > CANDIDATE_SCORE)
    if candidates.size == 0:
        return np.zeros((0, 4), np.float32)
    kept = candidates[nms(boxes[candidates], person[candidates])]
    kept = kept[person[kept] > PERSON_SCORE]
    return boxes[kept].astype(np.float32)


def detect_people(session: Any, image: np.ndarray) -> np.ndarray:
    """Person boxes [N, 4] for one HxWx3 uint8 image, with an onnxruntime session."""
    tensor, ratio = letterbox(image)
    (raw,) = session.run(None, {session.get_inputs()[0].name: tensor})[:1]
    return postprocess(raw[0], ratio)
