"""A live server on the fake engine (fast, deterministic jobs) and one Chromium per module,
for the playground tests that need no real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx_serve.app import create_app
from tests.api.conftest import make_settings
from tests.browser import Watched, chromium, watched_page
from tests.fakes.engine import FakeEngine, write_mp4
from tests.fakes.live import Live, serve_in_thread


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("playground-data")
    with serve_in_thread(create_app(make_settings(data), FakeEngine(steps=3, step_delay=0.05))) as server:
        yield server


KEYS = ("key-a", "key-b")


@pytest.fixture(scope="module")
def keyed_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The same, with API keys: every data call needs `Authorization: Key key-a|key-b`."""
    data = tmp_path_factory.mktemp("playground-keyed-data")
    app = create_app(make_settings(data, api_keys=list(KEYS)), FakeEngine(steps=3, step_delay=0.05))
    with serve_in_thread(app) as server:
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    with watched_page(browser) as page:
        yield page


@pytest.fixture(scope="module")
def input_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("playground-media") / "input.mp4"
    write_mp4(path, 64, 48, 9, 12, seed=5)
    return path


def open_playground(watched: Watched, base_url: str, endpoint: str | None = None) -> Any:
    page = watched.page
    page.goto(f"{base_url}/playground")
    page.wait_for_selector("body[data-ready=true]")
    if endpoint:
        page.select_option("#endpoint", endpoint)
    return page


def upload(page: Any, field: str, path: Path) -> str:
    """Upload through the field's file input; the URL the storage API handed back."""
    page.set_input_files(f"#fields [data-field={field}] input[type=file]", str(path))
    selector = f"#fields [data-field={field}] input[type=text]"
    page.wait_for_function("(sel) => document.querySelector(sel).value.includes('/files/')", arg=selector)
    return str(page.input_value(selector))
