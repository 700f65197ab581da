"""OpenPose-style skeleton drawing, as controlnet_aux's DWPose annotator draws it.

The Union IC-LoRA learned poses from this exact picture, so the convention is reproduced
rather than "improved": black RGB canvas; 18 body points in OpenPose order (neck = mean of
the shoulders); 17 limbs as filled ellipses (half-width ``STICKWIDTH`` 4) in the palette
colour, after which the WHOLE canvas is scaled by 0.6 (so limbs are 60 % colour); joints
as full-colour discs of radius 4; then hands (20 edges, thickness 2, colour HSV(i/20, 1, 1);
points blue (0, 0, 255) radius 4) and face points (white, radius 3), not dimmed.
Points are drawn when their score is at least 0.3 (the reference blanks scores below 0.3);
hand and face points must also lie more than 1 % of the frame inside the top/left edges
(the reference's ``eps`` test on normalised coordinates).
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import cv2
import numpy as np

STICKWIDTH = 4
JOINT_RADIUS = 4
LIMB_DIM = 0.6
SCORE_THRESHOLD = 0.3
EPS = 0.01

# 1-based OpenPose point pairs.
LIMBS: tuple[tuple[int, int], ...] = (
    (2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11),
    (2, 12), (12, 13), (13, 14), (2, 1), (1, 15), (15, 17), (1, 16), (16, 18),
)  # fmt: skip
COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
HAND_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10),
    (10, 11), (11, 12), (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18), (18, 19), (19, 20),
)  # fmt: skip
HAND_POINT_COLOR = (0, 0, 255)
FACE_COLOR = (255, 255, 255)


def hand_edge_color(index: int) -> tuple[float, float, float]:
    """HSV(i/20, 1, 1) as 0..255 floats (cv2 rounds them when drawing)."""
    r, g, b = colorsys.hsv_to_rgb(index / float(len(HAND_EDGES)), 1.0, 1.0)
    return (r * 255.0, g * 255.0, b * 255.0)


@dataclass(frozen=True)
class Pose:
    """One person in pixel coordinates of the frame being drawn.

    ``body`` [18, 2] and ``body_scores`` [18] in OpenPose order; ``hands`` [2, 21, 2];
    ``face`` [68, 2]. Hand and face points carry their own scores.
    """

    body: np.ndarray
    body_scores: np.ndarray
    hands: np.ndarray
    hand_scores: np.ndarray
    face: np.ndarray
    face_scores: np.ndarray


def draw_body(canvas: np.ndarray, poses: list[Pose]) -> np.ndarray:
    for i, (a, b) in enumerate(LIMBS):
        for pose in poses:
            if pose.body_scores[a - 1] < SCORE_THRESHOLD or pose.body_scores[b - 1] < SCORE_THRESHOLD:
                continue
            (x0, y0), (x1, y1) = pose.body[a - 1], pose.body[b - 1]
            length = math.hypot(x0 - x1, y0 - y1)
            angle = math.degrees(math.atan2(y0 - y1, x0 - x1))
            centre = (int((x0 + x1) / 2), int((y0 + y1) / 2))
            polygon = cv2.ellipse2Poly(centre, (int(length / 2), STICKWIDTH), int(angle), 0, 360, 1)
            cv2.fillConvexPoly(canvas, polygon, COLORS[i])
    canvas = (canvas * LIMB_DIM).astype(np.uint8)
    for i in range(18):
        for pose in poses:
            if pose.body_scores[i] < SCORE_THRESHOLD:
                continue
            x, y = pose.body[i]
            cv2.circle(canvas, (int(x), int(y)), JOINT_RADIUS, COLORS[i], thickness=-1)
    return canvas


def _visible(point: np.ndarray, score: float, width: int, height: int) -> bool:
    return score >= SCORE_THRESHOLD and point[0] > EPS * width and point[1] > EPS * height


def draw_hands(canvas: np.ndarray, poses: list[Pose]) -> np.ndarray:
    h, w = canvas.shape[:2]
    for pose in poses:
        for hand, scores in zip(pose.hands, pose.hand_scores, strict=True):
            for ie, (a, b) in enumerate(HAND_EDGES):
                if _visible(hand[a], scores[a], w, h) and _visible(hand[b], scores[b], w, h):
                    p0 = (int(hand[a][0]), int(hand[a][1]))
                    p1 = (int(hand[b][0]), int(hand[b][1]))
                    cv2.line(canvas, p0, p1, hand_edge_color(ie), thickness=2)
            for point, score in zip(hand, scores, strict=True):
                if _visible(point, score, w, h):
                    cv2.circle(canvas, (int(point[0]), int(point[1])), 4, HAND_POINT_COLOR, thickness=-1)
    return canvas


def draw_faces(canvas: np.ndarray, poses: list[Pose]) -> np.ndarray:
    h, w = canvas.shape[:2]
    for pose in poses:
        for point, score in zip(pose.face, pose.face_scores, strict=True):
            if _visible(point, score, w, h):
                cv2.circle(canvas, (int(point[0]), int(point[1])), 3, FACE_COLOR, thickness=-1)
    return canvas


def draw_pose(height: int, width: int, poses: list[Pose]) -> np.ndarray:
    """Render all people onto a black HxWx3 uint8 RGB canvas."""
    canvas = np.zeros((height, width, 3), np.uint8)
    canvas = draw_body(canvas, poses)
    canvas = draw_hands(canvas, poses)
    return draw_faces(canvas, poses)
