"""Where the depth and pose preprocessors find their weights, and the error when they are absent.

Names come from ``ltx_serve.models.catalog`` (the same table ``ltx-serve weights download``
uses), so the message tells the operator exactly what to place where.
"""

from __future__ import annotations

import os
from pathlib import Path

from ltx_serve.errors import FieldError
from ltx_serve.models.catalog import BY_KEY

WEIGHTS_ENV = "LTX_SERVE_WEIGHTS_DIR"


class MissingControlWeights(FieldError):
    """A control preprocessor's weights are not installed.

    The operator fixes it by placing the files, the caller by choosing another `control_type`
    or sending a pre-computed control video; so it is a 422 naming `control_type` (a 503 would
    make fal's JS client retry a request that cannot succeed).
    """

    def __init__(self, message: str) -> None:
        super().__init__("control_type", message)


def default_weights_dir() -> Path:
    """``$LTX_SERVE_WEIGHTS_DIR`` or ``./weights`` (the repository's convention)."""
    return Path(os.environ.get(WEIGHTS_ENV, "weights"))


def _locate(weights_dir: Path, key: str, what: str) -> Path:
    entry = BY_KEY[key]
    for name in entry.candidates:
        path = weights_dir / name
        if (entry.is_folder and (path / "config.json").is_file()) or (not entry.is_folder and path.is_file()):
            return path
    kind = "folder" if entry.is_folder else "file"
    raise MissingControlWeights(
        f"The {what} control needs the {kind} '{entry.filename}' (from Hugging Face '{entry.repo_id}') "
        f"at {weights_dir / entry.filename}. Download it (`ltx-serve weights download`, group "
        "'preprocessors') or place it there by hand; or send a pre-computed control video "
        "(control_video_url with skip_control_preprocess)."
    )


def depth_model_dir(weights_dir: Path) -> Path:
    """``<weights>/Depth-Anything-V2-Small-hf/`` (a transformers folder with config.json)."""
    return _locate(Path(weights_dir), "depth", "depth")


def pose_model_files(weights_dir: Path) -> tuple[Path, Path]:
    """(``<weights>/yolox_l.onnx``, ``<weights>/dw-ll_ucoco_384.onnx``)."""
    weights_dir = Path(weights_dir)
    return _locate(weights_dir, "pose_detector", "pose"), _locate(weights_dir, "pose_estimator", "pose")
