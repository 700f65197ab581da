"""Job overlap on vs off: wall time for a burst of jobs through the real server and engine.

Run: ``.venv/bin/python benchmarks/job_overlap.py [--jobs 4] [--rounds 2] [--frames 33]``.
Each round starts the server twice on the same tiny weights, once with
``LTX_SERVE_OVERLAP_JOBS`` on and once off (alternating which goes first), submits ``--jobs``
reference-video-to-video requests at once (Canny control rendered from an uploaded clip, so
every job has real input decoding and control rendering before denoising, and video
encoding after), and times submit -> last COMPLETED. Reports the median wall time per arm and
their ratio (on / off; < 1 means overlap helps). The last line is JSON.

What this can and cannot show here: on a CPU the "GPU" stage uses the same cores as the
host-side stages, so overlap mostly re-orders work that competes for them; the ratio shows the
scheduling works and costs nothing, not the gain on a GPU server, where denoise runs on the
device and pre/post run on otherwise idle host cores (unverified: no GPU was available).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ltx_serve.app import create_app  # noqa: E402
from ltx_serve.config import Settings  # noqa: E402
from ltx_serve.devtools.synthetic import write_reference_video  # noqa: E402
from ltx_serve.engine.ltx import create_engine  # noqa: E402
from ltx_serve.models.tiny import make_tiny  # noqa: E402
from tests.fakes.live import serve_in_thread, wait_until  # noqa: E402

logger = logging.getLogger("job_overlap")
ENDPOINT = "fal-ai/ltx-2.3-quality/reference-video-to-video"
APP = "fal-ai/ltx-2.3-quality"


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class StageLog(logging.Handler):
    """Collects the worker's per-job stage seconds (pre / gpu / post) from its log records."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.jobs: list[dict[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        timings = getattr(record, "stage_timings", None)
        if timings:
            self.jobs.append(dict(timings))


STAGES = StageLog()


def one_arm(weights: Path, clip: Path, data: Path, overlap: bool, jobs: int, frames: int) -> float:
    settings = Settings(
        weights_dir=weights,
        device="cpu",
        data_dir=data,
        text_max_tokens=128,
        allow_private_urls=True,
        overlap_jobs=overlap,
    )
    with (
        serve_in_thread(create_app(settings, create_engine(settings))) as live,
        httpx.Client(base_url=live.base_url, timeout=60) as c,
    ):
        wait_until(lambda: c.get("/ready").status_code == 200, timeout=300, interval=0.2)
        upload = c.post(
            "/rest/storage/upload/initiate",
            params={"storage_type": "fal-cdn-v3"},
            json={"content_type": "video/mp4", "file_name": "clip.mp4"},
        ).json()
        c.put(upload["upload_url"], content=clip.read_bytes(), headers={"content-type": "video/mp4"})
        body = {
            "prompt": "a disc bouncing over a gradient",
            "video_url": upload["file_url"],
            "resolution": {"width": 256, "height": 160},
            "num_frames": frames,
            "frames_per_second": 24,
            "num_inference_steps": 8,
            "enable_prompt_expansion": False,
            "generate_audio": False,
            "enable_safety_checker": False,
            "seed": 7,
        }
        c.post(f"/{ENDPOINT}", json=body)  # untimed warm-up job
        del STAGES.jobs[:]
        start = time.perf_counter()
        ids = [c.post(f"/queue/{ENDPOINT}", json=body).json()["request_id"] for _ in range(jobs)]

        def done() -> bool:
            statuses = [c.get(f"/queue/{APP}/requests/{r}/status").json()["status"] for r in ids]
            return all(s == "COMPLETED" for s in statuses)

        wait_until(done, timeout=1800, interval=0.05)
        wall = time.perf_counter() - start
        codes = {c.get(f"/queue/{APP}/requests/{r}").status_code for r in ids}
        if codes != {200}:
            raise SystemExit(f"jobs failed: {codes}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--frames", type=int, default=33)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    worker_log = logging.getLogger("ltx_serve.jobs.worker")
    worker_log.setLevel(logging.INFO)
    worker_log.addHandler(STAGES)
    worker_log.propagate = False
    stage_sums: dict[str, dict[str, list[float]]] = {
        a: {"pre": [], "gpu": [], "post": []} for a in ("on", "off")
    }
    walls: dict[str, list[float]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        weights = make_tiny(root / "weights")
        clip = write_reference_video(root / "clip.mp4", width=448, height=256, num_frames=args.frames)
        for rnd in range(args.rounds):
            for arm in ("on", "off") if rnd % 2 == 0 else ("off", "on"):
                data = root / f"data-{rnd}-{arm}"
                walls[arm].append(one_arm(weights, clip, data, arm == "on", args.jobs, args.frames))
                for name, sums in stage_sums[arm].items():
                    sums.append(sum(j.get(name, 0.0) for j in STAGES.jobs) / args.jobs)
                out(f"round {rnd + 1} overlap {arm:>3}: {walls[arm][-1]:7.2f} s for {args.jobs} jobs")
    med = {arm: statistics.median(v) for arm, v in walls.items()}
    ratio = med["on"] / med["off"]
    per_job = {arm: {k: statistics.median(v) for k, v in sums.items()} for arm, sums in stage_sums.items()}
    for arm, stages in per_job.items():
        out(
            f"mean stage seconds per job, overlap {arm:>3}: "
            + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
        )
    out(f"median wall: overlap on {med['on']:.2f} s, off {med['off']:.2f} s, ratio on/off {ratio:.3f}")
    summary = {"jobs": args.jobs, "frames": args.frames, "walls": walls, "median": med, "ratio": ratio}
    out(json.dumps({**summary, "per_job": per_job}))


if __name__ == "__main__":
    main()
