"""DWPose pre/post-processing end to end, with ONNX models whose outputs are planted.

The rigged detector always reports known boxes; the rigged keypoint model always peaks at
known crop pixels. The test derives, from DWPose's published rules (1.25 box padding, 3:4
crop aspect, SimCC at 2 bins per pixel), where those peaks are in the image, and checks
that the pipeline recovers exactly those image positions, keeps only the right box, and
draws the skeleton there.
"""

from pathlib import Path

import numpy as np
import pytest

from ltx_serve.control.pose import dwpose, yolox
from ltx_serve.control.pose.dwpose import DWPose, render_pose
from ltx_serve.control.weights import MissingControlWeights
from tests.control import tiny_models

SIZE = 256  # square frame: letterbox ratio 640 / 256 = 2.5
BOX = (80.0, 40.0, 176.0, 232.0)  # the person, image pixels


def _crop_geometry(box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = box
    center = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    w, h = (x1 - x0) * 1.25, (y1 - y0) * 1.25
    w, h = (w, w / 0.75) if w > h * 0.75 else (h * 0.75, h)
    return center, np.array([w, h])


def _image_keypoints() -> np.ndarray:
    """133 COCO-WholeBody points inside BOX; face and hands kept low, away from the shoulders."""
    rng = np.random.default_rng(3)
    pts = np.stack([rng.uniform(90, 166, 133), rng.uniform(170, 222, 133)], axis=1)
    pts[5], pts[6] = (150.0, 80.0), (106.0, 80.0)  # left / right shoulder
    pts[7], pts[8] = (160.0, 120.0), (96.0, 120.0)  # left / right elbow
    return pts


@pytest.fixture
def rigged(tmp_path: Path) -> tuple[Path, np.ndarray]:
    r = 2.5
    scaled = tuple(v * r for v in BOX)
    tiny_models.build_rigged_yolox(
        tmp_path / "yolox_l.onnx",
        [
            (*scaled, 0.9),
            (scaled[0] + 40, scaled[1] + 40, scaled[2] + 40, scaled[3] + 40, 0.8),  # overlaps: NMS drops it
            (10, 10, 60, 60, 0.2),  # below the 0.3 person threshold
        ],
    )
    center, scale = _crop_geometry(BOX)
    crop_pts = (_image_keypoints() - center + scale / 2) / scale * np.array([288, 384])
    crop_pts = np.round(crop_pts * 2) / 2  # SimCC resolution: half a crop pixel
    tiny_models.build_rigged_rtmpose(tmp_path / "dw-ll_ucoco_384.onnx", crop_pts, np.full(133, 0.9))
    expected = crop_pts / np.array([288, 384]) * scale + center - scale / 2
    return tmp_path, expected


def test_detector_decodes_boxes_and_applies_nms_and_thresholds(rigged: tuple[Path, np.ndarray]) -> None:
    model = DWPose(rigged[0])
    boxes = yolox.detect_people(model.detector, np.zeros((SIZE, SIZE, 3), np.uint8))
    assert boxes.shape == (1, 4)
    np.testing.assert_allclose(boxes[0], BOX, atol=0.01)


def test_keypoints_land_where_the_model_put_them(rigged: tuple[Path, np.ndarray]) -> None:
    weights, expected = rigged
    (pose,) = DWPose(weights).detect(np.zeros((SIZE, SIZE, 3), np.uint8))
    # OpenPose 2 = right shoulder (COCO 6), 5 = left shoulder (COCO 5), 1 = neck (their mean).
    np.testing.assert_allclose(pose.body[2], expected[6], atol=1e-3)
    np.testing.assert_allclose(pose.body[5], expected[5], atol=1e-3)
    np.testing.assert_allclose(pose.body[1], (expected[5] + expected[6]) / 2, atol=1e-3)
    np.testing.assert_allclose(pose.hands[1], expected[112:133], atol=1e-3)
    np.testing.assert_allclose(pose.face, expected[23:91], atol=1e-3)
    assert np.allclose(np.delete(pose.body_scores, 1), 0.9)
    assert pose.body_scores[1] == 1.0  # the neck is "visible" (1) when both shoulders are


def test_rendered_skeleton_sits_on_the_keypoints(rigged: tuple[Path, np.ndarray]) -> None:
    weights, expected = rigged
    frames = np.zeros((2, SIZE, SIZE, 3), np.uint8)
    out = render_pose(frames, weights)
    assert out.shape == frames.shape
    x, y = (int(v) for v in (expected[6] + expected[8]) / 2)  # right upper arm: OpenPose limb (3, 4)
    assert tuple(out[0, y, x]) == (153, 102, 0)
    neck = (expected[5] + expected[6]) / 2
    assert tuple(out[0, int(neck[1]), int(neck[0])]) == (255, 85, 0)  # neck joint colour
    assert not out[0, :30].any()  # nothing above the person


def test_without_detections_the_whole_frame_is_used(tmp_path: Path) -> None:
    tiny_models.build_rigged_yolox(tmp_path / "yolox_l.onnx", [])
    pts = np.tile([[144.0, 192.0]], (133, 1))  # crop centre
    tiny_models.build_rigged_rtmpose(tmp_path / "dw-ll_ucoco_384.onnx", pts, np.full(133, 0.9))
    (pose,) = DWPose(tmp_path).detect(np.zeros((SIZE, SIZE, 3), np.uint8))
    np.testing.assert_allclose(pose.body[0], (SIZE / 2, SIZE / 2), atol=1e-3)


def test_random_models_with_the_real_signatures_run(tiny_weights: Path) -> None:
    out = render_pose(np.zeros((1, 96, 128, 3), np.uint8), tiny_weights)
    assert out.shape == (1, 96, 128, 3) and out.dtype == np.uint8


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    keep = yolox.nms(boxes, np.array([0.5, 0.9, 0.4]))
    assert keep == [1, 2]


def test_missing_pose_weights_name_the_files(tmp_path: Path) -> None:
    dwpose._sessions.cache_clear()
    with pytest.raises(MissingControlWeights) as err:
        DWPose(tmp_path)
    assert "yolox_l.onnx" in err.value.message and str(tmp_path) in err.value.message
    (tmp_path / "yolox_l.onnx").write_bytes(b"x")
    with pytest.raises(MissingControlWeights, match=r"dw-ll_ucoco_384\.onnx"):
        DWPose(tmp_path)
