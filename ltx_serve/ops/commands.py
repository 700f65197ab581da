"""Typer command functions for operators; `ltx_serve/cli.py` registers them.

Register as:
    weights_app.command("download")(weights_download)   # ltx-serve weights download
    app.command("doctor")(doctor)                       # ltx-serve doctor
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ltx_serve.ops.download import (
    DEFAULT_VARIANTS,
    VARIANTS,
    DownloadError,
    PlanItem,
    execute_plan,
    format_plan,
    human_bytes,
    plan_download,
)

WeightsOpt = Annotated[
    Path,
    typer.Option("--weights", envvar="LTX_SERVE_WEIGHTS_DIR", help="Weights folder (the catalog's layout)."),
]


def weights_download(
    weights: WeightsOpt = Path("weights"),
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            "-v",
            help=f"Model variant to fetch, repeatable: {', '.join(VARIANTS)}. Default: distilled.",
        ),
    ] = None,
    control: Annotated[
        bool, typer.Option("--control", help="Union IC-LoRA (canny/depth/pose control).")
    ] = False,
    camera: Annotated[bool, typer.Option("--camera", help="The seven camera-motion LoRAs.")] = False,
    preprocessors: Annotated[
        bool, typer.Option("--preprocessors", help="Depth Anything V2 Small folder and DWPose ONNX files.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be fetched; fetch nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Fetch again even files that look complete.")
    ] = False,
    token: Annotated[
        str | None, typer.Option("--token", envvar="HF_TOKEN", help="Hugging Face token (gated Gemma repo).")
    ] = None,
) -> None:
    """Download LTX-2.3 weights from Hugging Face into the weights folder (re-run to resume)."""
    try:
        plan = plan_download(
            weights,
            variant or DEFAULT_VARIANTS,
            control=control,
            camera=camera,
            preprocessors=preprocessors,
            force=force,
        )
        typer.echo(format_plan(plan))
        if dry_run or not plan.to_fetch:
            return
        paths = execute_plan(plan, token=token, on_item=_announce)
    except DownloadError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"done: {len(paths)} item(s) in {weights}")


def _announce(item: PlanItem) -> None:
    size = human_bytes(item.entry.size_bytes)
    typer.echo(f"{item.action} {item.entry.repo_id}: {item.entry.filename} ({size})")


def doctor(
    weights: WeightsOpt = Path("weights"),
    data_dir: Annotated[
        Path, typer.Option("--data-dir", envvar="LTX_SERVE_DATA_DIR", help="Folder for jobs and outputs.")
    ] = Path("data"),
    json: Annotated[bool, typer.Option("--json", help="Machine-readable report on stdout.")] = False,
) -> None:
    """Check GPU, disk, weight files, output codecs and memory plan; exit 1 if serving would fail."""
    from ltx_serve.ops.doctor import format_report, report_json, run_doctor

    report = run_doctor(weights, data_dir)
    typer.echo(report_json(report) if json else format_report(report))
    if not report.ok:
        raise typer.Exit(1)


def bench(
    weights: Annotated[
        Path | None,
        typer.Option(
            "--weights",
            envvar="LTX_SERVE_WEIGHTS_DIR",
            help="Weights folder. Omitted on CPU: the tiny preset (random weights) in a temp folder.",
        ),
    ] = None,
    job: Annotated[
        list[str] | None,
        typer.Option(
            "--job",
            "-j",
            help="Job to run, repeatable: union-default, reference, video-to-video, audio-to-video. "
            "Default: all.",
        ),
    ] = None,
    gpu_price: Annotated[
        float | None, typer.Option("--gpu-price", help="GPU price in USD per hour, for cost per job.")
    ] = None,
    device: Annotated[str, typer.Option(help="Torch device; falls back to CPU without CUDA.")] = "cuda",
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per job (the median is shown).")] = 3,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed runs per job first.")] = 1,
    width: Annotated[int | None, typer.Option(help="Output width for every job (default 768).")] = None,
    height: Annotated[int | None, typer.Option(help="Output height for every job (default 512).")] = None,
    frames: Annotated[int | None, typer.Option(help="Frames for every job (default 121).")] = None,
    steps: Annotated[
        int | None, typer.Option(help="num_inference_steps (default: each endpoint's own; 8 = the anchor).")
    ] = None,
    peak_tflops: Annotated[
        float | None, typer.Option("--peak-tflops", help="GPU peak for MFU instead of the datasheet table.")
    ] = None,
) -> None:
    """Time the engine per stage on the endpoint presets; print MFU, peak memory and cost per job."""
    import json as json_lib

    from ltx_serve.ops.bench import JOBS, run_bench
    from ltx_serve.ops.bench_report import bench_metrics, format_bench

    jobs = job or list(JOBS)
    unknown = [j for j in jobs if j not in JOBS]
    if unknown:
        raise typer.BadParameter(f"unknown job(s) {', '.join(unknown)}; known: {', '.join(JOBS)}")
    try:
        results = run_bench(
            weights,
            jobs,
            gpu_price,
            device,
            repeats,
            warmup=warmup,
            width=width,
            height=height,
            frames=frames,
            steps=steps,
            peak_tflops=peak_tflops,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for result in results:
        typer.echo(format_bench(result))
        typer.echo("")
    # The last line carries every job, so `tail -n 1` sees the whole run.
    typer.echo(json_lib.dumps({"jobs": [bench_metrics(r) for r in results]}))
