import numpy as np

from ltx_serve.control.canny import canny
from tests.media import synth


def _square_clip() -> np.ndarray:
    frames = np.full((2, 128, 160, 3), 40, np.uint8)
    frames[:, 40:90, 50:120] = 230
    return frames


def test_edges_follow_the_shape_border_and_flat_areas_stay_black() -> None:
    edges = canny(_square_clip())
    assert edges.shape == (2, 128, 160, 3)
    assert set(np.unique(edges)) == {0, 255}
    assert (edges[..., 0] == edges[..., 1]).all() and (edges[..., 0] == edges[..., 2]).all()
    mask = edges[0, ..., 0] > 0
    border = np.zeros_like(mask)
    border[38:92, 48:122] = True
    border[42:88, 52:118] = False  # a 2-px band around the square's outline
    assert mask[border].sum() > 0.9 * (2 * 70 + 2 * 50)  # outline is (nearly) fully traced
    assert not mask[~border].any()  # nothing in the flat interior or background


def test_colour_only_edges_are_found_on_the_rgb_image() -> None:
    """Red on green with the same luma: invisible to a grey Canny, found on RGB like the workflow."""
    frame = np.zeros((1, 64, 64, 3), np.uint8)
    frame[:] = (0, 130, 0)
    frame[:, 16:48, 16:48] = (255, 0, 0)
    grey = frame[0].astype(np.float32) @ np.array([0.299, 0.587, 0.114])
    assert np.ptp(grey) < 1.0  # the two colours are indistinguishable in grey
    assert canny(frame)[0, ..., 0].sum() > 0


def test_stick_figure_limbs_become_double_edges() -> None:
    """A 3-px white line gives an edge on each side; the black background stays empty."""
    frames = synth.stick_figure(2, 128, 128)
    edges = canny(frames)[..., 0] > 0
    lines = frames[..., 0] > 0
    near = np.zeros_like(lines)
    for i in range(2):
        grown = np.pad(lines[i], 2)
        near[i] = np.any(
            [np.roll(np.roll(grown, dy, 0), dx, 1)[2:-2, 2:-2] for dy in range(-2, 3) for dx in range(-2, 3)],
            axis=0,
        )
    assert edges.sum() > 100
    assert not edges[~near].any()  # every edge lies within 2 px of a drawn limb
