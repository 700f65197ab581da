"""A deterministic Engine for HTTP, queue and client tests (no model, no GPU).

It behaves like the real engine where the API can tell: it fetches every `*_url` input
through `ctx.fetch` (so bad URLs give real 422s), logs one line per "denoising step",
checks for cancellation between steps, honours `num_frames`, fps and (scaled down) the
requested size, and writes a genuine small H.264 MP4 with PyAV (plus a "control video" extra
for the reference endpoints, as the real engine reports). `step_delay` makes it slow
enough for queue-position and cancel tests; `load_gate` holds `load()` for `/ready` tests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ltx_serve.config import Settings
from ltx_serve.engine.protocol import EngineResult, GeneratedVideo, JobContext
from ltx_serve.schemas.common import requested_dimensions

DEFAULT_SIZE = (64, 48)


def _even(value: int) -> int:
    return max(16, value - value % 2)


def write_mp4(path: Path, width: int, height: int, num_frames: int, fps: float, seed: int) -> None:
    """A real MP4 whose frames depend only on (seed, frame index): deterministic output."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=max(1, round(fps)))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "35"}
        ys, xs = np.mgrid[0:height, 0:width]
        for i in range(num_frames):
            shade = (xs * 3 + ys * 2 + i * 7 + seed) % 256
            rgb = np.stack([shade, (shade + 85) % 256, (shade + 170) % 256], axis=-1).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@dataclass
class FakeEngine:
    steps: int = 3
    step_delay: float = 0.0
    load_delay: float = 0.0
    load_gate: threading.Event | None = None
    fail_load: bool = False
    calls: list[str] = field(default_factory=list)
    _ready: bool = False

    def load(self) -> None:
        if self.load_gate is not None:
            self.load_gate.wait(timeout=60)
        time.sleep(self.load_delay)
        if self.fail_load:
            raise RuntimeError("fake weights missing")
        self._ready = True

    def is_ready(self) -> bool:
        return self._ready

    def info(self) -> dict[str, Any]:
        return {"engine": "fake", "device": "cpu", "steps": self.steps}

    def run(self, endpoint_id: str, request: BaseModel, ctx: JobContext) -> EngineResult:
        return self._finish(self._generate(self._prepare(request, ctx), ctx), ctx)

    # The same work in the three parts a `StagedEngine` exposes (see `StagedFakeEngine`).
    def _prepare(self, request: BaseModel, ctx: JobContext) -> tuple[BaseModel, dict[str, Any]]:
        data = request.model_dump()
        for name, value in data.items():
            if name.endswith("_url") and isinstance(value, str) and value:
                local = ctx.fetch(value, name)
                ctx.log(f"fetched {name} ({local.stat().st_size} bytes)")
        return request, data

    def _generate(self, prepared: tuple[BaseModel, dict[str, Any]], ctx: JobContext) -> tuple[Any, ...]:
        request, data = prepared
        self.calls.append(ctx.request_id)
        if "explode" in str(data.get("prompt", "")):
            raise RuntimeError("the fake engine was asked to explode")
        for step in range(1, self.steps + 1):
            ctx.raise_if_cancelled()
            ctx.log(f"step {step}/{self.steps}")
            time.sleep(self.step_delay)
        ctx.raise_if_cancelled()
        return request, data

    def _finish(self, generated: tuple[Any, ...], ctx: JobContext) -> EngineResult:
        request, data = generated
        prompt = str(data.get("prompt", ""))
        seed = data.get("seed")
        seed = int(seed) if seed is not None else 42
        size = data.get("video_size", data.get("resolution"))
        width, height = DEFAULT_SIZE
        dims = None
        if size is not None:
            model_size = getattr(request, "video_size", None) or getattr(request, "resolution", None)
            dims = requested_dimensions(model_size) if model_size is not None else None
        if dims is not None:
            width, height = _even(dims[0] // 16), _even(dims[1] // 16)
        num_frames = int(data.get("num_frames", 9))
        fps = float(data.get("fps") or data.get("frames_per_second") or 24)
        out = ctx.work_dir / "output.mp4"
        write_mp4(out, width, height, num_frames, fps, seed)
        extras = {}
        if "control_type" in data:  # like the real engine: the reference endpoints' control video
            control = ctx.work_dir / "control.mp4"
            write_mp4(control, width, height, num_frames, fps, seed + 1)
            extras["control_video"] = GeneratedVideo(
                control,
                "video/mp4",
                width,
                height,
                fps,
                num_frames,
                num_frames / fps,
                file_name="control.mp4",
            )
        return EngineResult(
            video=GeneratedVideo(
                path=out,
                content_type="video/mp4",
                width=width,
                height=height,
                fps=fps,
                num_frames=num_frames,
                duration=num_frames / fps,
                file_name="output.mp4",
            ),
            seed=seed,
            prompt=prompt,
            megapixels=width * height * num_frames / 1e6,
            timings={"denoise": self.steps * self.step_delay},
            extras=extras,
        )


@dataclass
class StagedFakeEngine(FakeEngine):
    """The fake as a `StagedEngine`: the worker overlaps its jobs. `pre_delay`/`post_delay`
    stand for input decoding and video encoding; `timeline` records (event, request_id,
    monotonic time) for "prepare-start", "generate-start", "generate-end", "finish-end"."""

    pre_delay: float = 0.0
    post_delay: float = 0.0
    room: bool = True
    timeline: list[tuple[str, str, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _mark(self, event: str, request_id: str) -> None:
        with self._lock:
            self.timeline.append((event, request_id, time.monotonic()))

    def at(self, event: str, request_id: str) -> float:
        return next(t for e, r, t in self.timeline if e == event and r == request_id)

    def events(self, request_id: str) -> list[str]:
        return [e for e, r, _ in self.timeline if r == request_id]

    def prepare(self, endpoint_id: str, request: BaseModel, ctx: JobContext) -> Any:
        self._mark("prepare-start", ctx.request_id)
        prepared = self._prepare(request, ctx)
        for _ in range(10):
            ctx.raise_if_cancelled()
            time.sleep(self.pre_delay / 10)
        return prepared

    def generate(self, prepared: Any, ctx: JobContext) -> Any:
        self._mark("generate-start", ctx.request_id)
        out = self._generate(prepared, ctx)
        self._mark("generate-end", ctx.request_id)
        return out

    def finish(self, generated: Any, ctx: JobContext) -> EngineResult:
        time.sleep(self.post_delay)
        result = self._finish(generated, ctx)
        self._mark("finish-end", ctx.request_id)
        return result

    def room_for_prefetch(self) -> bool:
        return self.room


def create_fake_engine(settings: Settings) -> FakeEngine:
    """`--engine tests.fakes.engine:create_fake_engine` factory (used by the serve tests)."""
    return FakeEngine()


def not_an_engine(settings: Settings) -> object:
    """A factory returning the wrong thing: `serve` must refuse it with a clear message."""
    return object()
