"""The Engine protocol: what the job worker needs from whatever runs the model.

The API and job layers only ever talk to an `Engine`. The real LTX-2.3 engine is
`ltx_serve.engine.ltx` (over the sampler in `ltx_serve.pipelines`); API tests run a
small deterministic engine kept under `tests/`.
The engine is synchronous on purpose: its GPU work runs in the one GPU worker thread, and
it checks `JobContext.raise_if_cancelled()` between denoising steps (cooperative cancel).

An engine that also implements `StagedEngine` lets the worker overlap jobs
(`ltx_serve.jobs.overlap`): the next job's `prepare` and the previous job's `finish` run on
their own threads while `generate` holds the GPU. A plain `Engine` runs one job at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR", "STDOUT", "STDERR"]


@dataclass(frozen=True)
class GeneratedVideo:
    """A finished media file on local disk, plus what fal's `VideoFile` reports about it."""

    path: Path
    content_type: str
    width: int
    height: int
    fps: float
    num_frames: int
    duration: float
    has_audio: bool = False
    file_name: str | None = None


@dataclass(frozen=True)
class EngineResult:
    """What a job produced; the job layer turns it into the endpoint's output JSON."""

    video: GeneratedVideo
    seed: int
    prompt: str
    # width x height x frames / 1e6: fal's billing unit, reported in metrics.
    megapixels: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    # By-products worth showing beside the output but never part of fal's output JSON, by
    # name: "control_video" is the control signal the IC-LoRA was guided by (what the
    # depth/canny/pose preprocessor made). Stored with the job, listed in the request history.
    extras: dict[str, GeneratedVideo] = field(default_factory=dict)


@runtime_checkable
class JobContext(Protocol):
    """Per-job services the engine may use; provided by the job worker."""

    request_id: str
    endpoint_id: str
    # Scratch directory owned by this job; removed when the job ends.
    work_dir: Path

    def log(self, message: str, level: LogLevel = "INFO") -> None:
        """Append a line to the job's logs (visible with `?logs=1`)."""

    def raise_if_cancelled(self) -> None:
        """Raise `JobCancelled` if the caller cancelled; call between steps."""

    def fetch(self, url: str, field: str, max_bytes: int | None = None) -> Path:
        """Resolve an input URL (http(s), this server's /files/, data:) to a local file.

        Raises `FieldError(field, ...)` when it cannot, so the caller gets a 422 naming
        the field.
        """


@runtime_checkable
class Engine(Protocol):
    """Runs one fal endpoint request at a time."""

    def load(self) -> None:
        """Load models (blocking; may take minutes). `/ready` turns 200 after it returns."""

    def is_ready(self) -> bool: ...

    def info(self) -> dict[str, Any]:
        """Static facts for /ready and logs: model variant, device, memory plan."""

    def run(self, endpoint_id: str, request: BaseModel, ctx: JobContext) -> EngineResult:
        """Run one validated request (the endpoint's pydantic Input model)."""


@runtime_checkable
class StagedEngine(Engine, Protocol):
    """An engine whose `run` is `finish(generate(prepare(...)))`, each part on its own thread.

    Thread contract: `prepare` and `finish` may run concurrently with another job's
    `generate`, so they must not change state `generate` uses (active LoRAs, resident models,
    the text encoder's placement); `generate` calls are never concurrent with each other.
    What `prepare` returns is held in host memory until the GPU is free.
    """

    def prepare(self, endpoint_id: str, request: BaseModel, ctx: JobContext) -> Any:
        """Host-side work: fetch and decode inputs, render control video, fetch user LoRAs."""

    def generate(self, prepared: Any, ctx: JobContext) -> Any:
        """GPU work: prompt, sampling, VAE decode into host frames, safety check."""

    def finish(self, generated: Any, ctx: JobContext) -> EngineResult:
        """Host-side work: encode and mux the output file."""

    def room_for_prefetch(self) -> bool:
        """Whether another job's prepared inputs may be held now (the memory rule)."""
