from pathlib import Path

import numpy as np
import pytest

from ltx_serve.control.depth import estimate_disparity, normalise_clip, render_depth
from ltx_serve.control.weights import MissingControlWeights


def test_clip_global_normalisation_does_not_stretch_each_frame() -> None:
    disparity = np.zeros((2, 4, 4), np.float32)
    disparity[0, 0, 0] = 1.0  # frame 0 spans 0..1
    disparity[1, 0, 0] = 2.0  # frame 1 spans 0..2
    grey = normalise_clip(disparity)
    assert grey.shape == (2, 4, 4, 3) and grey.dtype == np.uint8
    assert grey[1, 0, 0, 0] == 255
    assert grey[0, 0, 0, 0] == 128  # not 255: the same depth looks the same in every frame
    assert grey[:, 1:, 1:].max() == 0


def test_near_is_bright() -> None:
    disparity = np.array([[[0.5, 4.0]]], np.float32)  # larger disparity = closer
    grey = normalise_clip(disparity)[0, 0, :, 0]
    assert grey[1] > grey[0]


@pytest.mark.slow
def test_tiny_model_renders_grey_frames_at_the_input_size(tiny_weights: Path) -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 40, 72, 3), np.uint8)
    out = render_depth(frames, tiny_weights)
    assert out.shape == frames.shape and out.dtype == np.uint8
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 0] == out[..., 2]).all()
    assert out.min() == 0 and out.max() == 255  # stretched over the whole clip
    disparity = estimate_disparity(frames, tiny_weights)
    np.testing.assert_array_equal(normalise_clip(disparity), out)


def test_missing_depth_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(MissingControlWeights) as err:
        render_depth(np.zeros((1, 8, 8, 3), np.uint8), tmp_path)
    assert str(tmp_path / "Depth-Anything-V2-Small-hf") in err.value.message
    assert err.value.status_code == 422
    assert err.value.detail()[0]["loc"] == ["body", "control_type"]
