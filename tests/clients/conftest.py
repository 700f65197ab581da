"""Live servers for the real-client tests, and the snippet extractor for the README client section."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_serve.app import create_app
from tests.api.conftest import make_settings
from tests.fakes.engine import FakeEngine, write_mp4
from tests.fakes.live import Live, make_self_signed, serve_in_thread

DOCS = Path(__file__).resolve().parents[2] / "README.md"
DOC_BASE = "http://localhost:8000"


def doc_snippet(name: str) -> str:
    """The fenced block right after `<!-- snippet: name -->` in the README client section."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"<!-- snippet: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert match, f"snippet {name!r} missing from {DOCS}"
    return match.group(1)


@pytest.fixture(scope="module")
def engine() -> FakeEngine:
    return FakeEngine(steps=3, step_delay=0.1)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, engine: FakeEngine) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("clients-data")
    with serve_in_thread(create_app(make_settings(data), engine)) as server:
        yield server


@pytest.fixture(scope="module")
def tls_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = make_self_signed(folder, "localhost")
    app = create_app(make_settings(folder / "data", tls_cert=cert, tls_key=key), FakeEngine())
    with serve_in_thread(app, tls=(cert, key), host_name="localhost") as server:
        yield server, cert


@pytest.fixture
def input_mp4(tmp_path: Path) -> Path:
    path = tmp_path / "input.mp4"
    write_mp4(path, 32, 32, 5, 8, seed=3)
    return path
