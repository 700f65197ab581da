"""The real `@fal-ai/client` (npm) against a live ltx-serve through `/fal/proxy`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.clients.conftest import DOC_BASE, doc_snippet
from tests.fakes.live import Live, wait_until

JS_DIR = Path(__file__).resolve().parents[1] / "js"
CLIENT = JS_DIR / "node_modules" / "@fal-ai" / "client"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
    pytest.mark.skipif(not CLIENT.exists(), reason="run `npm install` in tests/js first"),
]


def _node(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(script)],
        cwd=JS_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def _ready(live: Live) -> None:
    wait_until(lambda: httpx.get(f"{live.base_url}/ready").status_code == 200)


def test_js_client_subscribe_queue_run_and_upload(live: Live, input_mp4: Path) -> None:
    _ready(live)
    result = _node(
        JS_DIR / "fal_client_test.mjs", {"LTX_SERVE_URL": live.base_url, "INPUT_MP4": str(input_mp4)}
    )
    assert result.returncode == 0, result.stderr + result.stdout
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["queueStatus"] == "COMPLETED"
    assert "COMPLETED" in seen["statuses"]
    assert seen["streamed"][-1] == "COMPLETED"
    assert "step 3/3" in seen["logs"]
    for key in ("subscribedVideo", "runVideo"):
        assert httpx.get(seen[key]).headers["content-type"] == "video/mp4"


def test_docs_js_snippet_runs(live: Live, input_mp4: Path) -> None:
    _ready(live)
    snippet = doc_snippet("js-proxy").replace(DOC_BASE, live.base_url)
    prelude = (
        'import { readFileSync } from "node:fs";\n'
        f"const inputBytes = readFileSync({json.dumps(str(input_mp4))});\n"
    )
    script = JS_DIR / f".snippet-{uuid.uuid4().hex[:8]}.mjs"
    script.write_text(prelude + snippet, encoding="utf-8")
    try:
        result = _node(script, {})
    finally:
        script.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    url, request_id = result.stdout.strip().splitlines()[-1].split()
    assert url.startswith(f"{live.base_url}/files/") and request_id
