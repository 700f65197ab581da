"""Fixtures for HTTP tests: a live server on loopback running the fake engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ltx_serve.app import create_app
from ltx_serve.config import Settings
from tests.fakes.engine import FakeEngine
from tests.fakes.live import Live, serve_in_thread

ENDPOINT = "fal-ai/ltx-2.3-22b/video-to-video"
LORA_ENDPOINT = "fal-ai/ltx-2.3-quality/reference-video-to-video/lora"


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "allow_private_urls": True,
        "webhook_backoff_s": 0.01,
        "webhook_backoff_max_s": 0.05,
        "shutdown_grace_s": 2.0,
        "fetch_retries": 1,
    }
    values.update(overrides)
    return Settings(**values)


LiveFactory = Callable[..., AbstractContextManager[Live]]


@pytest.fixture
def live_factory(tmp_path: Path) -> LiveFactory:
    """`with live_factory(engine=..., **settings) as live:` -> a running server."""

    def factory(engine: FakeEngine | None = None, data_dir: Path | None = None, **overrides: Any):  # type: ignore[no-untyped-def]
        settings = make_settings(data_dir or tmp_path / "data", **overrides)
        return serve_in_thread(create_app(settings, engine or FakeEngine()))

    return factory


@pytest.fixture
def live(live_factory: LiveFactory) -> Iterator[Live]:
    with live_factory() as server:
        yield server


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base_url, timeout=30) as c:
        yield c


@pytest.fixture
def sample_mp4(tmp_path: Path) -> Path:
    from tests.fakes.engine import write_mp4

    path = tmp_path / "input.mp4"
    write_mp4(path, 32, 32, 5, 8, seed=1)
    return path


def wait_ready(client: httpx.Client, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while client.get("/ready").status_code != 200:
        if time.monotonic() > deadline:
            raise AssertionError("server never became ready")
        time.sleep(0.02)
