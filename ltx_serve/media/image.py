"""Still images: loading (EXIF orientation, alpha) and LTX's CRF-33 H.264 round trip.

Alpha is flattened onto WHITE. A transparent PNG is almost always meant to be seen on a
light page (that is how browsers and fal's own previews show it), and ``convert("RGB")``
alone would expose whatever colour happens to sit under fully transparent pixels.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ltx_serve.errors import FieldError
from ltx_serve.media.probe import DECODE_ERRORS, check_file, reason

logger = logging.getLogger(__name__)

DEFAULT_IMAGE_CRF = 33  # ltx-pipelines' DEFAULT_IMAGE_CRF: mimics the training compression
DEFAULT_MAX_IMAGE_PIXELS = 8192 * 8192
WHITE = (255, 255, 255)


def load_image(
    path: Path,
    field: str,
    *,
    background: tuple[int, int, int] = WHITE,
    max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
) -> np.ndarray:
    """Load an image as upright HxWx3 uint8 RGB; the first frame of animated files."""
    check_file(path, field)
    try:
        with Image.open(path) as img:
            if img.width * img.height > max_pixels:
                raise FieldError(
                    field,
                    f"The image in '{field}' is {img.width}x{img.height}; the limit is {max_pixels} pixels. "
                    "Downscale it first.",
                )
            img.seek(0)
            img.load()
            upright = ImageOps.exif_transpose(img) or img
            rgb = flatten_alpha(upright, background)
            return np.asarray(rgb, dtype=np.uint8).copy()
    except FieldError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise FieldError(
            field, f"'{field}' must be an image (PNG, JPEG, WebP...); this file is not one."
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise FieldError(field, f"The image in '{field}' is corrupt or truncated ({reason(exc)}).") from exc


def flatten_alpha(img: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """RGB version of ``img`` with any transparency composited over ``background``."""
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if not has_alpha:
        return img.convert("RGB")
    rgba = img.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*background, 255))
    canvas.alpha_composite(rgba)
    return canvas.convert("RGB")


def h264_roundtrip(image: np.ndarray, crf: int = DEFAULT_IMAGE_CRF) -> np.ndarray:
    """Encode one RGB frame with libx264 at ``crf`` and decode it back (crf 0 = unchanged).

    Why: LTX-2.3 was trained on video frames carrying H.264 artefacts; upstream
    ``ltx-pipelines`` degrades conditioning images the same way so they look like frames.
    yuv420p needs even sizes, so odd edges are replicated for encoding and cropped after.
    """
    if crf <= 0:
        return image
    h, w = image.shape[:2]
    padded = np.pad(image, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=1, options={"crf": str(crf), "preset": "veryfast"})
        stream.width, stream.height = padded.shape[1], padded.shape[0]
        stream.pix_fmt = "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24")
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    buf.seek(0)
    try:
        with av.open(buf, mode="r") as src:
            decoded = next(src.decode(video=0)).to_ndarray(format="rgb24")
    except DECODE_ERRORS as exc:  # pragma: no cover - our own encoder output
        raise RuntimeError(f"H.264 round trip failed: {exc}") from exc
    return np.ascontiguousarray(decoded[:h, :w])
