from pathlib import Path

import numpy as np
import pytest

from ltx_serve.control import ControlType, MissingControlWeights, auto_control_size, render_control
from ltx_serve.control.composite import composite
from tests.media import synth


@pytest.fixture(scope="module")
def clip_16_9() -> np.ndarray:
    return synth.moving_shapes(3, 192, 108)


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.slow) if k in ("depth", "composite") else k for k in ControlType],
)
def test_every_control_type_gives_the_auto_size(
    kind: ControlType, clip_16_9: np.ndarray, tiny_weights: Path
) -> None:
    out = render_control(kind, clip_16_9, tiny_weights)
    assert out.shape == (3, 512, 896, 3)
    assert out.dtype == np.uint8


def test_canny_control_outlines_the_square(clip_16_9: np.ndarray, tmp_path: Path) -> None:
    out = render_control("canny", clip_16_9, tmp_path)  # canny needs no weights
    size = auto_control_size(192, 108)
    # square_box in source pixels -> annotator (x 910/192) -> centre crop to 896 (7 px off the left)
    x0, y0, _x1, y1 = synth.square_box(0, 192, 108)
    sx, sy = size.annotator[0] / 192, size.annotator[1] / 108
    crop_left = (size.annotator[0] - 896) // 2
    left = round(x0 * sx) - crop_left
    top, bottom = round(y0 * sy), round(y1 * sy)
    column = out[0, top + 10 : bottom - 10, left - 3 : left + 4, 0]
    assert (column.max(axis=1) == 255).all()  # the left side of the square is an edge
    assert out[0, 5:40, 5:100].max() == 0  # flat background: no edges


def test_composite_rule() -> None:
    depth = np.full((1, 4, 4, 3), 200, np.uint8)
    edges = np.zeros_like(depth)
    edges[0, 0, 0] = 255
    pose = np.zeros_like(depth)
    pose[0, 3, 3] = (255, 85, 0)
    pose[0, 0, 0] = (0, 0, 255)
    out = composite(depth, edges, pose)
    assert tuple(out[0, 1, 1]) == (100, 100, 100)  # depth at half brightness
    assert tuple(out[0, 3, 3]) == (255, 85, 0)  # pose colours win
    assert tuple(out[0, 0, 0]) == (0, 0, 255)  # ...even over an edge
    edges[0, 2, 2] = 255
    assert tuple(composite(depth, edges, pose)[0, 2, 2]) == (255, 255, 255)  # edges in white


def test_unknown_type_and_bad_frames_are_rejected(clip_16_9: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        render_control("normals", clip_16_9, tmp_path)
    with pytest.raises(ValueError, match="uint8"):
        render_control("canny", clip_16_9.astype(np.float32), tmp_path)


@pytest.mark.parametrize("kind", ["depth", "pose", "composite"])
def test_missing_weights_say_what_to_install(kind: str, clip_16_9: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(MissingControlWeights, match=str(tmp_path)):
        render_control(kind, clip_16_9, tmp_path)
