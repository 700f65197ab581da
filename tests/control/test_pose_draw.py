"""Golden checks of the OpenPose-convention renderer on a hand-placed skeleton."""

import numpy as np
import pytest

from ltx_serve.control.pose.draw import Pose, draw_pose

# OpenPose order: nose, neck, r-shoulder, r-elbow, r-wrist, l-shoulder, l-elbow, l-wrist,
# r-hip, r-knee, r-ankle, l-hip, l-knee, l-ankle, r-eye, l-eye, r-ear, l-ear.
BODY = np.array(
    [
        (128, 40), (128, 70), (98, 70), (88, 110), (80, 150), (158, 70), (168, 110), (176, 150),
        (110, 150), (108, 195), (106, 240), (146, 150), (148, 195), (150, 240), (120, 34), (136, 34),
        (112, 40), (144, 40),
    ],
    dtype=np.float64,
)  # fmt: skip

# The published controlnet_aux palette; limbs are drawn at 60 % of it.
PALETTE = [
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
]  # fmt: skip


def dim(colour: tuple[int, int, int]) -> tuple[int, ...]:
    return tuple(int(c * 0.6) for c in colour)


def _pose(body_scores: np.ndarray | None = None, with_hands: bool = False) -> Pose:
    hands = np.full((2, 21, 2), -1.0)
    hand_scores = np.zeros((2, 21))
    if with_hands:
        hands[0, 0], hands[0, 1] = (40, 200), (40, 240)  # wrist -> thumb base: hand edge 0
        hand_scores[0, :2] = 1.0
    face = np.full((68, 2), -1.0)
    face[0] = (200, 30)
    face_scores = np.zeros(68)
    face_scores[0] = 1.0
    return Pose(
        body=BODY,
        body_scores=np.ones(18) if body_scores is None else body_scores,
        hands=hands,
        hand_scores=hand_scores,
        face=face,
        face_scores=face_scores,
    )


def _px(canvas: np.ndarray, xy: tuple[int, int]) -> tuple[int, ...]:
    return tuple(int(v) for v in canvas[xy[1], xy[0]])


@pytest.mark.parametrize(
    ("limb", "a", "b"),
    [(0, 1, 2), (2, 2, 3), (6, 1, 8), (8, 9, 10), (11, 12, 13), (3, 3, 4)],
)
def test_limbs_use_the_palette_at_60_percent(limb: int, a: int, b: int) -> None:
    canvas = draw_pose(256, 256, [_pose()])
    mid = tuple(int(v) for v in (BODY[a] + BODY[b]) / 2)
    assert _px(canvas, mid) == dim(PALETTE[limb])


@pytest.mark.parametrize("joint", [0, 4, 7, 10, 13])
def test_joints_are_full_colour_discs_of_radius_4(joint: int) -> None:
    canvas = draw_pose(256, 256, [_pose()])
    x, y = (int(v) for v in BODY[joint])
    assert _px(canvas, (x, y)) == PALETTE[joint]
    assert _px(canvas, (x + 3, y)) == PALETTE[joint]
    assert _px(canvas, (x + 6, y)) != PALETTE[joint]


def test_limbs_are_ellipses_of_stickwidth_4() -> None:
    canvas = draw_pose(256, 256, [_pose()])
    # r-knee -> r-ankle is nearly vertical around x = 107; sample across it at y = 217.
    assert _px(canvas, (107 + 3, 217)) == dim(PALETTE[8])
    assert _px(canvas, (107 + 7, 217)) == (0, 0, 0)


def test_background_is_black_and_low_scores_are_not_drawn() -> None:
    scores = np.ones(18)
    scores[10] = 0.2  # r-ankle below the 0.3 threshold
    canvas = draw_pose(256, 256, [_pose(scores)])
    assert _px(canvas, (10, 10)) == (0, 0, 0)
    assert _px(canvas, (107, 217)) == (0, 0, 0)  # r-knee -> r-ankle limb is gone
    assert _px(canvas, (106, 240)) == (0, 0, 0)  # and so is the ankle joint


def test_hands_and_face_follow_the_convention() -> None:
    canvas = draw_pose(256, 256, [_pose(with_hands=True)])
    assert _px(canvas, (40, 220)) == (255, 0, 0)  # hand edge 0: HSV(0, 1, 1), not dimmed
    assert _px(canvas, (40, 200)) == (0, 0, 255)  # hand keypoint: (0, 0, 255) disc
    assert _px(canvas, (200, 30)) == (255, 255, 255)  # face point: white disc
    assert _px(canvas, (200 + 5, 30)) == (0, 0, 0)  # radius 3
