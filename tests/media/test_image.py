from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ltx_serve.errors import FieldError
from ltx_serve.media.image import h264_roundtrip, load_image
from tests.media import synth


def _marked() -> np.ndarray:
    img = np.zeros((40, 60, 3), np.uint8)
    img[:10, :10] = (255, 0, 0)  # red marker top-left
    return img


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    path = synth.write_image(tmp_path / "o6.jpg", _marked(), exif_orientation=6)
    img = load_image(path, "image_url")
    assert img.shape == (60, 40, 3)
    assert img[:8, -8:, 0].mean() > 200  # marker now top-right
    assert img[:8, :8, 0].mean() < 50


def test_transparency_is_flattened_onto_white(tmp_path: Path) -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = (10, 200, 30)  # colour hidden under full transparency
    rgba[:4, ..., 3] = 255
    rgba[4:, ..., 3] = 0
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    img = load_image(path, "image_url")
    assert img.shape == (8, 8, 3)
    np.testing.assert_array_equal(img[0, 0], (10, 200, 30))
    np.testing.assert_array_equal(img[7, 7], (255, 255, 255))


def test_palette_transparency_is_flattened(tmp_path: Path) -> None:
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pal.putpixel((0, 0), 1)
    path = tmp_path / "p.png"
    pal.save(path, transparency=0)
    img = load_image(path, "image_url")
    np.testing.assert_array_equal(img[0, 0], (255, 0, 0))
    np.testing.assert_array_equal(img[3, 3], (255, 255, 255))


@pytest.mark.parametrize("case", ["empty", "video", "text", "truncated", "too_large"])
def test_bad_images_are_field_errors(case: str, tmp_path: Path, silent_clip: Path) -> None:
    path = tmp_path / "x.png"
    kwargs: dict[str, int] = {}
    if case == "empty":
        path.write_bytes(b"")
    elif case == "video":
        path = silent_clip
    elif case == "text":
        path.write_text("hello")
    elif case == "truncated":
        full = synth.write_image(
            tmp_path / "full.png", np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)
        )
        path.write_bytes(full.read_bytes()[:300])
    elif case == "too_large":
        path = synth.write_image(path, _marked())
        kwargs["max_pixels"] = 100
    with pytest.raises(FieldError) as err:
        load_image(path, "image_url", **kwargs)
    assert err.value.errors[0]["loc"] == ["body", "image_url"]


@pytest.mark.parametrize("shape", [(64, 96, 3), (63, 95, 3)])
def test_crf33_roundtrip_keeps_size_and_adds_compression(shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(1)
    image = np.clip(rng.normal(128, 40, shape), 0, 255).astype(np.uint8)
    out = h264_roundtrip(image)
    assert out.shape == image.shape
    err = np.abs(out.astype(int) - image.astype(int)).mean()
    assert 1 < err < 40  # visibly compressed, still the same picture
    np.testing.assert_array_equal(h264_roundtrip(image, crf=0), image)


def test_flat_colour_survives_the_roundtrip() -> None:
    image = np.full((32, 32, 3), (200, 60, 20), np.uint8)
    out = h264_roundtrip(image)
    assert np.abs(out.astype(int) - image.astype(int)).max() <= 4
