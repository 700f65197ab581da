"""``ltx-serve control TYPE INPUT OUTPUT [--weights DIR]``: pre-compute a control video.

Users can render the control signal once (for example on a machine with the depth/pose
weights) and send it as ``control_video_url`` with ``skip_control_preprocess``. The output
keeps the input's frame rate and frame count (at most 481 frames, fal's maximum: longer
inputs keep their first 481), at the "auto" control size, as H.264 MP4.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from ltx_serve.control.render import ControlType
from ltx_serve.control.video import control_from_video
from ltx_serve.control.weights import MissingControlWeights, default_weights_dir
from ltx_serve.errors import RequestError, ValidationFailed
from ltx_serve.media.encode import VideoWriter
from ltx_serve.media.probe import probe, require_video
from ltx_serve.media.timing import MAX_FRAMES

logger = logging.getLogger(__name__)

CHUNK = 16
MAX_SECONDS = 3600.0
MAX_PIXELS = 8192 * 8192


def control(
    control_type: ControlType = typer.Argument(..., help="composite, canny, depth or pose."),
    input: Path = typer.Argument(..., help="Reference video (any format FFmpeg reads)."),
    output: Path = typer.Argument(..., help="Where to write the control video (.mp4)."),
    weights: Path | None = typer.Option(
        None,
        "--weights",
        help="Weights folder with the depth/pose models (default $LTX_SERVE_WEIGHTS_DIR or ./weights).",
    ),
) -> None:
    """Render a control video (same fps and frame count as INPUT) for control_video_url."""
    weights_dir = weights or default_weights_dir()
    try:
        info = require_video(probe(input, "input"), "input", max_seconds=MAX_SECONDS, max_pixels=MAX_PIXELS)
        limit = None
        if info.num_frames > MAX_FRAMES:
            typer.echo(
                f"note: {input} has {info.num_frames} frames; keeping the first {MAX_FRAMES} (fal's maximum)."
            )
            limit = MAX_FRAMES
        clip = control_from_video(
            input,
            "input",
            control_type,
            weights_dir,
            num_frames=limit,
            max_seconds=MAX_SECONDS,
            max_pixels=MAX_PIXELS,
        )
        w, h = clip.size.output
        output.parent.mkdir(parents=True, exist_ok=True)
        with VideoWriter(output, width=w, height=h, fps=clip.fps, quality="maximum") as writer:
            for start in range(0, len(clip.frames), CHUNK):
                writer.write(clip.frames[start : start + CHUNK])
    except MissingControlWeights as exc:  # before ValidationFailed: it is one, but the operator's to fix
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=1) from exc
    except ValidationFailed as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=2) from exc
    except RequestError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=1) from exc
    result = writer.result
    typer.echo(
        f"wrote {output} ({ControlType(control_type).value}, {result.width}x{result.height}, "
        f"{result.num_frames} frames at {result.fps:.3f} fps)"
    )
