"""`ltx-serve bench`: time the real engine per stage and put MFU and cost beside the timings.

Why through the engine: a benchmark of the sampler alone would miss what a caller waits for
(input decoding and control preprocessing, the VAE decode, the MP4 mux). So each job is a
validated fal request run by `create_engine(settings)` exactly as the server runs it, with
in-process inputs (`LocalJobContext` + local files). Two instruments watch the run without
the engine's help: `pipelines.timing.observe_stages` collects the sampler's stage seconds,
and `FlopCounter` prices every transformer call (so CFG/STG passes, reference tokens and the
second stage are counted as they ran). The engine's own laps give the input preprocessing
and the decode+encode loop; encode = that loop - the VAE decode inside it.

Jobs (the endpoint presets at 768x512x121, and the default Union job at the official 'auto'
geometry from a 16:9 reference, 896x512x121): see `JOBS`. `width/height/frames` replace every
job's size, the Union job's 'auto' included, so a CPU run can use a tiny geometry. On a CPU
without weights the tiny preset (random weights) is made in a temporary folder: the table
then shows where time goes in the pipeline's code, not what the 22B model costs.

Rules from benchmarks/README.md: warm-up runs first, then `repeats` timed runs; the table is
the run with the median wall time (min/max wall in the JSON); CUDA is synchronised at stage
boundaries.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltx_serve.ops.bench_report import BenchResult

logger = logging.getLogger(__name__)

PRESET_SIZE = (768, 512, 121)  # the SGLang anchor's geometry (docs/operations.md)
UNION_SOURCE_SIZE = (1280, 720)  # 16:9 reference: 'auto' gives the official 896x512
PROMPT = "A yellow disc bounces across a gradient while a bar slides past, steady camera."
SEED = 42
FPS = 24

REFERENCE = "fal-ai/ltx-2.3-quality/reference-video-to-video"
VIDEO_TO_VIDEO = "fal-ai/ltx-2.3-22b/video-to-video"
AUDIO_TO_VIDEO = "fal-ai/ltx-2.3-quality/audio-to-video"

# job name -> endpoint id; "union-default" keeps the endpoint's 'auto' resolution.
JOBS: dict[str, str] = {
    "union-default": REFERENCE,
    "reference": REFERENCE,
    "video-to-video": VIDEO_TO_VIDEO,
    "audio-to-video": AUDIO_TO_VIDEO,
}


@dataclass(frozen=True)
class Geometry:
    """Requested output size; `auto_union` leaves the Union job's resolution at 'auto'."""

    width: int
    height: int
    frames: int
    auto_union: bool


def job_payload(name: str, geom: Geometry, media: Mapping[str, Path], steps: int | None) -> dict[str, Any]:
    """The fal request body for one job (media as local paths, served by `LocalFiles`)."""
    size = {"width": geom.width, "height": geom.height}
    body: dict[str, Any] = {
        "prompt": PROMPT,
        "seed": SEED,
        "num_frames": geom.frames,
        "enable_prompt_expansion": False,
        "enable_safety_checker": False,
    }
    if steps is not None:
        body["num_inference_steps"] = steps
    if name == "union-default":
        body["video_url"] = str(media["union_source"] if geom.auto_union else media["video"])
        if not geom.auto_union:
            body["resolution"] = size
    elif name == "reference":
        body.update(video_url=str(media["video"]), resolution=size)
    elif name == "video-to-video":
        body.update(video_url=str(media["video"]), video_size=size, match_video_length=False)
    elif name == "audio-to-video":
        body.update(audio_url=str(media["tone"]), resolution=size, match_audio_length=False)
    else:
        raise ValueError(f"unknown bench job {name!r}; known: {', '.join(JOBS)}")
    return body


def synthesize_media(folder: Path, geom: Geometry, names: Sequence[str]) -> dict[str, Path]:
    """Moving-shapes clips (with a stereo tone) and a tone file, written once per bench."""
    from ltx_serve.devtools.synthetic import write_reference_video, write_tone_file

    folder.mkdir(parents=True, exist_ok=True)
    media = {
        "video": write_reference_video(
            folder / "input.mp4", width=geom.width, height=geom.height, num_frames=geom.frames, fps=FPS
        ),
        "tone": write_tone_file(folder / "tone.wav", seconds=geom.frames / FPS + 0.5),
    }
    if geom.auto_union and "union-default" in names:
        w, h = UNION_SOURCE_SIZE
        media["union_source"] = write_reference_video(
            folder / "union_source.mp4", width=w, height=h, num_frames=geom.frames, fps=FPS
        )
    return media


def stage_rows(engine: Mapping[str, float], stages: Mapping[str, float], wall: float) -> dict[str, float]:
    """Table rows (keys ordered as `bench_report.STAGE_ORDER` expects) that add up to `wall`.

    `engine` are the engine's laps (`inputs`, `encode`: rounded to the millisecond), `stages`
    the sampler's. `other` is what neither accounts for (noise set-up, cropping the decoded
    frames, the engine's recipe and checks); rounding can make it a hair negative, shown as 0.
    """
    rows = {
        "prompt_encode": stages.get("prompt_encode", 0.0),
        "preprocess_inputs": engine.get("inputs", 0.0),
        "preprocess_vae_encode": stages.get("condition_encode", 0.0),
        "denoise_stage1": stages.get("stage1", 0.0),
    }
    if "stage2" in stages:
        rows["upsample"] = stages.get("upsample", 0.0)
        rows["denoise_stage2"] = stages["stage2"]
    rows["decode_video"] = stages.get("vae_decode", 0.0)
    if "audio_decode" in stages:
        rows["decode_audio"] = stages["audio_decode"]
    if "encode" not in engine:
        logger.warning("engine reported no 'encode' lap (%s): encode is in 'other'", sorted(engine))
    rows["encode"] = engine.get("encode", 0.0)
    if "lora_switch" in stages:
        rows["lora_switch"] = stages["lora_switch"]
    rows["other"] = max(0.0, wall - sum(rows.values()))
    return rows


@dataclass(frozen=True)
class Measurement:
    """One timed job."""

    rows: dict[str, float]
    wall: float
    width: int
    height: int
    num_frames: int
    flops: float
    flops_by_stage: dict[str, dict[str, Any]]
    peak_memory_bytes: int | None


def _cuda_in_use() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_initialized()


def measure_job(engine: Any, endpoint: str, payload: Mapping[str, Any], work_dir: Path) -> Measurement:
    """Validate `payload`, run it on the loaded engine once, and measure it."""
    import torch

    from ltx_serve.devtools.local_context import LocalFiles, LocalJobContext
    from ltx_serve.ops.flop_counter import FlopCounter
    from ltx_serve.pipelines.timing import observe_stages, synchronize
    from ltx_serve.schemas.validation import validate_input

    files = LocalFiles()
    request = validate_input(endpoint, files.localize(dict(payload), work_dir))
    ctx = LocalJobContext(work_dir / "job", endpoint_id=endpoint, files=files)
    cuda = _cuda_in_use()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    with observe_stages() as stages, FlopCounter(engine.components.transformer) as counter:
        synchronize()
        start = time.perf_counter()
        result = engine.run(endpoint, request, ctx)
        synchronize()
        wall = time.perf_counter() - start
    result.video.path.unlink(missing_ok=True)
    return Measurement(
        rows=stage_rows(result.timings, stages.timings, wall),
        wall=wall,
        width=result.video.width,
        height=result.video.height,
        num_frames=result.video.num_frames,
        flops=counter.total,
        flops_by_stage=counter.by_stage(),
        peak_memory_bytes=int(torch.cuda.max_memory_allocated()) if cuda else None,
    )


def device_label(device: str) -> str:
    """The GPU's marketing name (matched against the peak table), or the CPU's."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    return f"CPU {platform.machine()} ({torch.get_num_threads()} threads)"


def summarise(
    name: str, endpoint: str, runs: Sequence[Measurement], warmup: int, device: str, **report: Any
) -> BenchResult:
    """The run with the median wall time (its rows add up to it); the spread goes to the JSON.

    Why one run rather than per-stage medians: medians taken stage by stage need not add up
    to any real job, and a neighbour's burst in one run would then skew the shares.
    """
    walls = [r.wall for r in runs]
    last = sorted(runs, key=lambda r: r.wall)[(len(runs) - 1) // 2]
    timings = dict(last.rows)
    peaks = [r.peak_memory_bytes for r in runs if r.peak_memory_bytes is not None]
    return BenchResult(
        endpoint=endpoint,
        width=last.width,
        height=last.height,
        num_frames=last.num_frames,
        timings=timings,
        dit_flops=last.flops,
        peak_memory_bytes=max(peaks) if peaks else None,
        device_name=device,
        extra={
            "job": name,
            "warmup": warmup,
            "repeats": len(runs),
            "wall_s_runs": walls,
            "wall_s_min": min(walls),
            "wall_s_max": max(walls),
            "forward_calls": sum(s["calls"] for s in last.flops_by_stage.values()),
            "flops_by_stage": last.flops_by_stage,
        },
        **report,
    )


@contextlib.contextmanager
def _weights(weights_dir: Path | None, device: str) -> Iterator[Path]:
    """The weights folder to load; without one on CPU, the tiny preset in a temporary folder."""
    if weights_dir is not None:
        yield Path(weights_dir)
        return
    if not device.startswith("cpu"):
        raise ValueError("no weights folder given (--weights or $LTX_SERVE_WEIGHTS_DIR)")
    from ltx_serve.models.tiny import make_tiny

    with tempfile.TemporaryDirectory(prefix="ltx-bench-tiny-") as tmp:
        logger.info("no weights on CPU: making the tiny preset (random weights) in %s", tmp)
        yield make_tiny(Path(tmp), seed=0, distilled=False)


def run_bench(
    weights_dir: Path | None,
    jobs: Sequence[str] = tuple(JOBS),
    gpu_price_per_hour: float | None = None,
    device: str = "cuda",
    repeats: int = 3,
    *,
    warmup: int = 1,
    width: int | None = None,
    height: int | None = None,
    frames: int | None = None,
    steps: int | None = None,
    peak_tflops: float | None = None,
) -> list[BenchResult]:
    """Load the engine once, then warm up and time each job; one `BenchResult` per job."""
    import torch

    from ltx_serve.config import Settings
    from ltx_serve.engine.ltx import create_engine

    unknown = [j for j in jobs if j not in JOBS]
    if unknown or not jobs:
        raise ValueError(f"unknown bench jobs {unknown}; known: {', '.join(JOBS)}")
    if repeats < 1 or warmup < 0:
        raise ValueError("repeats must be >= 1 and warmup >= 0")
    if device.startswith("cuda") and not torch.cuda.is_available():
        logger.warning("CUDA is not available: benchmarking on CPU")
        device = "cpu"
    w0, h0, f0 = PRESET_SIZE
    overridden = width is not None or height is not None
    geom = Geometry(width or w0, height or h0, frames or f0, auto_union=not overridden)
    results: list[BenchResult] = []
    with _weights(weights_dir, device) as weights, tempfile.TemporaryDirectory(prefix="ltx-bench-") as tmp:
        root = Path(tmp)
        settings = Settings(weights_dir=weights, device=device, data_dir=root / "data", safety_missing="skip")
        engine = create_engine(settings)
        engine.load()
        label = device_label(device)
        media = synthesize_media(root / "media", geom, jobs)
        for name in jobs:
            endpoint = JOBS[name]
            payload = job_payload(name, geom, media, steps)
            for i in range(warmup):
                measure_job(engine, endpoint, payload, root / f"{name}-warmup{i}")
            runs = [measure_job(engine, endpoint, payload, root / f"{name}-{i}") for i in range(repeats)]
            results.append(
                summarise(
                    name,
                    endpoint,
                    runs,
                    warmup,
                    label,
                    peak_tflops=peak_tflops,
                    gpu_usd_per_hour=gpu_price_per_hour,
                )
            )
            logger.info("bench %s: wall %s s", name, ", ".join(f"{r.wall:.3f}" for r in runs))
    return results
