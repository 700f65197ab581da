"""`serve` (the `ltx-serve serve` command), Settings from the environment, JSON logs."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from ltx_serve.config import Settings
from ltx_serve.logs import JsonFormatter, RequestIdFilter, bound_request_id
from ltx_serve.server import EngineLoadError, build_engine, serve
from tests.fakes.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LTX_SERVE_API_KEYS", "a, b")
    monkeypatch.setenv("LTX_SERVE_PORT", "9001")
    monkeypatch.setenv("LTX_SERVE_ALLOW_PRIVATE_URLS", "true")
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_api_keys() == {"a", "b"}
    assert settings.port == 9001 and settings.allow_private_urls
    with pytest.raises(ValueError, match="both a certificate and a key"):
        Settings(tls_cert=tmp_path / "c.pem")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "must look like"),
        ("ltx_serve.does_not_exist:create", "Cannot import engine module"),
        ("ltx_serve.config:nope", "has no callable"),
        ("tests.fakes.engine:not_an_engine", "does not implement the Engine protocol"),
    ],
)
def test_build_engine_fails_clearly(spec: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(EngineLoadError, match=message):
        build_engine(spec, Settings(data_dir=tmp_path))


def test_serve_exits_2_with_a_clear_message_for_a_missing_engine(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    app = typer.Typer()
    app.command()(serve)
    result = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path), "--engine", "ltx_serve.pipelines.nothing_here:create_engine"]
    )
    assert result.exit_code == 2
    assert "Cannot import engine module" in caplog.text


def test_json_logs_carry_the_request_id() -> None:
    record = logging.LogRecord("ltx", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    with bound_request_id("req-123"):
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world" and line["request_id"] == "req-123"


@pytest.mark.slow
def test_serve_runs_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    code = "import typer; from ltx_serve.server import serve; typer.run(serve)"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
            "--engine",
            "tests.fakes.engine:create_fake_engine",
            "--api-key",
            "k",
            "--log-format",
            "json",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (
                proc.stderr.read() if proc.stderr else ""
            )
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 401
        assert (
            httpx.get(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Key k"}).status_code
            == 200
        )
        proc.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal after its graceful shutdown, so -SIGTERM is a clean exit.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        stderr = proc.stderr.read() if proc.stderr else ""
        assert any(
            json.loads(line).get("message", "").startswith("shutting down")
            for line in stderr.splitlines()
            if line.startswith("{")
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
