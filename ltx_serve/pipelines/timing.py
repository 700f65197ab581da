"""Per-stage wall-clock timings of one generation, and which stage is running right now.

Why: one wall time hides where a job goes (Gemma, VAE decode and the DiT each cost seconds),
so `generate` times each stage and returns the figures with its result. Two details make the
numbers honest:

* CUDA runs asynchronously, so the clock is read after `torch.cuda.synchronize()` at every
  stage boundary; otherwise GPU work is charged to whichever later stage waits for it.
* Decoded frames are produced lazily while the caller encodes them; `StageTimer.iterate`
  charges only the time spent inside the decoder to its stage, so a caller can subtract it
  from the wall time of its encode loop.

`current_stage()` names the stage being timed and `observe_stages()` collects every stage
timed inside it (both context variables, so they follow the worker thread): a benchmark sees
the sampler's stages through the engine's `run` without the engine passing them on, and the
FLOP counter labels transformer calls by stage.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TypeVar

import torch

T = TypeVar("T")

_CURRENT_STAGE: ContextVar[str | None] = ContextVar("ltx_serve_stage", default=None)
_OBSERVER: ContextVar[StageTimer | None] = ContextVar("ltx_serve_stage_observer", default=None)


def synchronize() -> None:
    """Wait for queued CUDA work, when CUDA is in use at all (a no-op on CPU)."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def current_stage() -> str | None:
    """The stage `StageTimer.stage` is timing in this context, or None outside any."""
    return _CURRENT_STAGE.get()


class StageTimer:
    """Accumulates seconds per stage name; a name timed twice (e.g. two encodes) adds up."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        observer = _OBSERVER.get()
        if observer is not None and observer is not self:
            observer.add(name, seconds)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as `name`, synchronising CUDA on entry and exit."""
        synchronize()
        token = _CURRENT_STAGE.set(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            synchronize()
            self.add(name, time.perf_counter() - start)
            _CURRENT_STAGE.reset(token)

    def iterate(self, name: str, items: Iterable[T]) -> Iterator[T]:
        """Yield from `items`, charging only the time spent producing each item to `name`."""
        source = iter(items)
        while True:
            with self.stage(name):
                try:
                    item = next(source)
                except StopIteration:
                    return
            yield item


@contextlib.contextmanager
def observe_stages() -> Iterator[StageTimer]:
    """Collect, into the yielded timer, the seconds of every stage timed inside the block."""
    observer = StageTimer()
    token = _OBSERVER.set(observer)
    try:
        yield observer
    finally:
        _OBSERVER.reset(token)
