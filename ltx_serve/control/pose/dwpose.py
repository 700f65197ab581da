"""DWPose: person boxes -> 133 whole-body keypoints -> OpenPose drawing, frame by frame.

Frames go to the models in RGB, as the controlnet_aux/ComfyUI annotators pass them
(the official workflow's behaviour, which the Union LoRA saw), not BGR.

COCO-WholeBody (133 points: 17 body, 6 feet, 68 face, 21 + 21 hands) becomes OpenPose
order by inserting a neck (mean of the shoulders, shown only when both shoulders score
above 0.3) and re-indexing the 17 body points to OpenPose's 18.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ltx_serve.control.pose import rtmpose, yolox
from ltx_serve.control.pose.draw import SCORE_THRESHOLD, Pose, draw_pose
from ltx_serve.control.weights import pose_model_files

logger = logging.getLogger(__name__)

# Where OpenPose point i (after the neck is inserted at 17) comes from in COCO order.
_MMPOSE_IDX = [17, 6, 8, 10, 7, 9, 12, 14, 16, 13, 15, 2, 1, 4, 3]
_OPENPOSE_IDX = [1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17]


def to_openpose(keypoints: np.ndarray, scores: np.ndarray) -> list[Pose]:
    """[N, 133, 2] + [N, 133] COCO-WholeBody -> OpenPose-ordered ``Pose`` per person."""
    poses = []
    for points, conf in zip(keypoints, scores, strict=True):
        neck = points[[5, 6]].mean(axis=0)
        neck_score = float(conf[5] > SCORE_THRESHOLD and conf[6] > SCORE_THRESHOLD)
        pts = np.insert(points, 17, neck, axis=0)  # [134, 2]
        sc = np.insert(conf, 17, neck_score)
        pts[_OPENPOSE_IDX] = pts[_MMPOSE_IDX]
        sc[_OPENPOSE_IDX] = sc[_MMPOSE_IDX]
        poses.append(
            Pose(
                body=pts[:18],
                body_scores=sc[:18],
                hands=np.stack([pts[92:113], pts[113:134]]),
                hand_scores=np.stack([sc[92:113], sc[113:134]]),
                face=pts[24:92],
                face_scores=sc[24:92],
            )
        )
    return poses


def _providers() -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


@functools.lru_cache(maxsize=2)
def _sessions(detector: Path, estimator: Path) -> tuple[Any, Any]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    providers = _providers()
    logger.info("loading DWPose %s + %s on %s", detector.name, estimator.name, providers[0])
    return (
        ort.InferenceSession(str(detector), options, providers=providers),
        ort.InferenceSession(str(estimator), options, providers=providers),
    )


class DWPose:
    """The two ONNX sessions; ``__call__`` renders one RGB frame's skeleton."""

    def __init__(self, weights_dir: Path) -> None:
        detector, estimator = pose_model_files(weights_dir)
        self.detector, self.estimator = _sessions(detector.resolve(), estimator.resolve())

    def detect(self, frame: np.ndarray) -> list[Pose]:
        boxes = yolox.detect_people(self.detector, frame)
        keypoints, scores = rtmpose.estimate(self.estimator, frame, boxes)
        return to_openpose(keypoints, scores)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        return draw_pose(frame.shape[0], frame.shape[1], self.detect(frame))


def render_pose(frames: np.ndarray, weights_dir: Path) -> np.ndarray:
    """[F, H, W, 3] uint8 RGB -> [F, H, W, 3] uint8 pose drawings (same size)."""
    model = DWPose(weights_dir)
    return np.stack([model(f) for f in frames]) if len(frames) else frames.copy()
