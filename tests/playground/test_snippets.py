""" "Copy as code": the curl, Python `fal_client` and JS `@fal-ai/client` snippets the page
writes for the current form run as pasted, and each sends exactly the form's request."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import Watched
from tests.fakes.live import Live
from tests.playground.conftest import open_playground, upload

LORA = "fal-ai/ltx-2.3-quality/reference-video-to-video/lora"
PROMPT = 'it\'s a "test" with $HOME, `ticks` and \\ backslash'
JS_DIR = Path(__file__).resolve().parents[1] / "js"


@pytest.fixture(scope="module")
def snippets(live: Live, browser: Any, input_mp4: Path) -> dict[str, str]:
    """The page's three snippets for one filled-in form (a LoRA list, a custom size, odd quoting)."""
    from tests.browser import watched_page

    with watched_page(browser) as watched:
        page = open_playground(watched, live.base_url, LORA)
        video = upload(page, "video_url", input_mp4)
        page.fill("#fields [data-field=prompt] textarea", PROMPT)
        page.fill("#fields [data-field=seed] input", "7")
        page.select_option("#fields [data-field=resolution] select", "__custom__")
        page.locator("#fields [data-field=resolution] .custom-size input").nth(0).fill("64")
        page.locator("#fields [data-field=resolution] .custom-size input").nth(1).fill("64")
        lora = page.locator("#fields [data-field=loras] .list-item").first
        lora.locator("[data-field=path] input[type=text]").fill(video)
        lora.locator("[data-field=scale] input").fill("0.8")
        page.fill("#fields [data-field=video_strength] input[type=number]", "0.25")
        page.click("#code summary")  # "Copy as code" opens
        out = {}
        for lang in ("curl", "python", "js"):
            page.select_option("#code-lang", lang)
            out[lang] = page.input_value("#code-text")
        _no_errors(watched)
        return out


def _no_errors(watched: Watched) -> None:
    assert watched.errors == []


def _form_input(snippets: dict[str, str]) -> dict[str, Any]:
    body = re.search(r"<<'JSON'\n(.*?)\nJSON\n", snippets["curl"], re.S)
    assert body, snippets["curl"]
    return json.loads(body.group(1))


def _input_that_made(live: Live, video_url: str) -> dict[str, Any]:
    """The stored input of the request whose result is `video_url`."""
    items = httpx.get(
        f"{live.base_url}/v1/models/requests/by-endpoint", params={"expand": "payloads", "limit": 20}
    ).json()["items"]
    (item,) = [i for i in items if ((i["json_output"] or {}).get("video") or {}).get("url") == video_url]
    return item["json_input"]


def test_the_snippets_carry_the_form(snippets: dict[str, str]) -> None:
    sent = _form_input(snippets)
    assert sent["prompt"] == PROMPT and sent["seed"] == 7 and sent["video_strength"] == 0.25
    assert sent["resolution"] == {"width": 64, "height": 64}
    assert sent["loras"] == [{"path": sent["video_url"], "scale": 0.8, "transformer": "both"}]
    assert "num_frames" not in sent  # defaults stay out: the snippet shows what was changed


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_snippet_runs(live: Live, snippets: dict[str, str]) -> None:
    env = {**os.environ, "FAL_KEY": "anything"}
    result = subprocess.run(
        ["bash", "-c", snippets["curl"]], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["prompt"] == PROMPT and output["video"]["url"].startswith(f"{live.base_url}/files/")
    assert _input_that_made(live, output["video"]["url"]) == _form_input(snippets)


def test_python_snippet_runs(live: Live, snippets: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(snippets["python"], encoding="utf-8")
    env = {**os.environ, "FAL_KEY": "anything"}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{live.base_url}/files/")
    assert _input_that_made(live, url) == _form_input(snippets)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not (JS_DIR / "node_modules" / "@fal-ai" / "client").exists(), reason="run `npm install` in tests/js"
)
def test_js_snippet_runs(live: Live, snippets: dict[str, str]) -> None:
    script = JS_DIR / f".playground-{uuid.uuid4().hex[:8]}.mjs"
    script.write_text(snippets["js"], encoding="utf-8")
    try:
        result = subprocess.run(
            ["node", str(script)],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "FAL_KEY": "anything"},
        )
    finally:
        script.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    url, request_id = result.stdout.strip().splitlines()[-1].split()
    assert url.startswith(f"{live.base_url}/files/") and request_id
    assert _input_that_made(live, url) == _form_input(snippets)
