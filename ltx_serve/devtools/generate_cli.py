"""`ltx-serve generate ENDPOINT --input request.json --out DIR [--weights DIR]`.

Runs one request in-process, without the HTTP server: the JSON is validated with the same
schemas as the API (fal's 422 wording on errors), media fields may name local files (they are
served to the engine through the fetcher's local lookup), the models load, a tqdm bar per
denoising stage shows progress, and OUT receives the video plus `output.json` (the
endpoint's fal output: `{video, seed, prompt}`, the video URL a `file://` URI) and
`metrics.json` (megapixels, stage timings).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer


class _StageBars:
    """One tqdm bar per sampler stage, created when the stage's first step reports."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, step: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(total=total, desc=stage, unit="step")
        bar.update(step - bar.n)
        if step >= total:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def output_json(endpoint_id: str, result: Any, video_path: Path) -> dict[str, Any]:
    """The endpoint's output model, as fal would return it, for a local file."""
    from ltx_serve.schemas.registry import get_endpoint

    v = result.video
    body = {
        "video": {
            "url": video_path.resolve().as_uri(),
            "content_type": v.content_type,
            "file_name": video_path.name,
            "file_size": video_path.stat().st_size,
            "width": v.width,
            "height": v.height,
            "fps": v.fps,
            "duration": v.duration,
            "num_frames": v.num_frames,
        },
        "seed": result.seed,
        "prompt": result.prompt,
    }
    model = get_endpoint(endpoint_id).output_model
    return model.model_validate(body).model_dump(mode="json", exclude_none=True)


def generate(
    endpoint: Annotated[str, typer.Argument(help="fal endpoint id, e.g. fal-ai/ltx-2.3-22b/video-to-video")],
    input: Annotated[Path, typer.Option("--input", "-i", help="Request JSON (fal input fields).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created).")],
    weights: Annotated[
        Path | None, typer.Option("--weights", help="Weights folder (default: $LTX_SERVE_WEIGHTS_DIR).")
    ] = None,
    device: Annotated[str | None, typer.Option(help="Torch device (default: settings, 'cuda').")] = None,
) -> None:
    """Run one request through the LTX-2.3 engine and write the result to OUT."""
    from ltx_serve.config import Settings
    from ltx_serve.devtools.local_context import LocalFiles, LocalJobContext
    from ltx_serve.engine.ltx import LTXEngine
    from ltx_serve.errors import RequestError, ValidationFailed
    from ltx_serve.schemas.registry import get_endpoint
    from ltx_serve.schemas.validation import validate_input

    try:
        payload = json.loads(input.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {input}: {exc}", param_hint="--input") from exc
    files = LocalFiles()
    payload = files.localize(payload, input.resolve().parent)
    try:
        spec = get_endpoint(endpoint)
        request = validate_input(spec, payload)
    except ValidationFailed as exc:
        typer.echo(json.dumps({"detail": exc.detail()}, indent=2), err=True)
        raise typer.Exit(2) from None
    except RequestError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None

    overrides: dict[str, Any] = {}
    if weights is not None:
        overrides["weights_dir"] = weights
    if device is not None:
        overrides["device"] = device
    settings = Settings(**overrides)
    engine = LTXEngine(settings)
    bars = _StageBars()
    engine.on_progress = bars
    typer.echo(f"loading models from {engine.weights_dir} ...", err=True)
    engine.load()
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    ctx = LocalJobContext(
        work,
        endpoint_id=spec.endpoint_id,
        files=files,
        allow_private=settings.allow_private_urls,
        on_log=lambda message, level: typer.echo(message, err=True) if level != "INFO" else None,
    )
    try:
        result = engine.run(spec.endpoint_id, request, ctx)
    except ValidationFailed as exc:
        typer.echo(json.dumps({"detail": exc.detail()}, indent=2), err=True)
        raise typer.Exit(2) from None
    except RequestError as exc:
        typer.echo(f"error ({exc.status_code}): {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        bars.close()
    target = out / f"output{result.video.path.suffix}"
    shutil.move(str(result.video.path), target)
    shutil.rmtree(work, ignore_errors=True)
    (out / "output.json").write_text(
        json.dumps(output_json(spec.endpoint_id, result, target), indent=2) + "\n"
    )
    metrics = {"megapixels": result.megapixels, "timings": result.timings, "seed": result.seed}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    typer.echo(str(target))
