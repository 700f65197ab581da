"""The playground in a real browser (Debian's Chromium via Playwright) against a live server
running the REAL engine on the tiny weights: pick reference-video-to-video, upload an MP4,
set fields, run it, watch progress arrive over the SSE stream, play the result and the control
video, find it in the history, sweep a parameter and compare the two results.

Screenshots of the form, a running job and the compare view go to the test's tmp folder (and
to $LTX_SERVE_SCREENSHOT_DIR when set).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import UNLABELLED_JS, Watched, chromium, screenshot, watched_page
from tests.fakes.live import Live
from tests.media.synth import moving_shapes, tone, write_video

pytestmark = pytest.mark.slow

REF = "fal-ai/ltx-2.3-quality/reference-video-to-video"
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def _duration(page: Any, selector: str) -> float:
    """Wait until the <video> has loaded its metadata; its duration in seconds."""
    page.wait_for_function(
        "(sel) => { const v = document.querySelector(sel);"
        " return v && v.readyState >= 1 && v.duration > 0; }",
        arg=selector,
        timeout=WAIT_MS,
    )
    return float(page.eval_on_selector(selector, "v => v.duration"))


def _field(page: Any, name: str, control: str = "input") -> Any:
    return page.locator(f"#fields [data-field={name}] {control}").first


def _fill_form(page: Any, reference: Path) -> None:
    page.select_option("#endpoint", REF)
    page.locator("#fields [data-field=prompt] textarea").fill("a white square slides across a grey room")
    page.set_input_files("#fields [data-field=video_url] input[type=file]", str(reference))
    page.wait_for_function(
        "() => document.querySelector('#fields [data-field=video_url] input[type=text]')"
        ".value.includes('/files/')"
    )
    _duration(page, "#fields [data-field=video_url] .preview video")  # the upload's preview plays
    _field(page, "enable_prompt_expansion").uncheck()  # tens of seconds on the tiny Gemma
    _field(page, "num_inference_steps", "input[type=number]").fill("8")
    _field(page, "num_frames", "input[type=number]").fill("9")
    _field(page, "frames_per_second", "input[type=number]").fill("12")
    _field(page, "seed").fill("11")
    page.select_option("#fields [data-field=resolution] select", "__custom__")
    page.locator("#fields [data-field=resolution] .custom-size input").nth(0).fill("128")
    page.locator("#fields [data-field=resolution] .custom-size input").nth(1).fill("64")
    # the slider drives its number box
    slider = _field(page, "video_strength", "input[type=range]")
    slider.focus()
    slider.press("ArrowLeft")
    assert _field(page, "video_strength", "input[type=number]").input_value() == "0.59"


def test_reference_run_history_sweep_and_compare(e2e_live: Live, browser: Any, tmp_path: Path) -> None:
    reference = write_video(
        tmp_path / "reference.mp4", moving_shapes(17, 160, 96), fps=24, audio=tone(17 / 24)
    )
    with watched_page(browser) as watched:
        page = watched.page
        page.goto(f"{e2e_live.base_url}/playground")
        page.wait_for_selector("body[data-ready=true]")
        _fill_form(page, reference)
        assert page.evaluate(UNLABELLED_JS) == []
        screenshot(page, tmp_path, "playground-form")

        page.click("#submit")
        run = page.locator("#runs-list .run").first
        run.locator(".logs li").first.wait_for(state="attached", timeout=WAIT_MS)
        page.wait_for_selector("#runs-list .run[data-status=COMPLETED]", timeout=WAIT_MS)
        request_id = run.get_attribute("data-request-id")
        assert int(run.get_attribute("data-events") or 0) >= 3  # queued, running (logs...), completed
        assert "step 8/8" in run.locator(".step").inner_text()
        # the result plays (with its audio track), beside the reference and the control video
        assert _duration(page, "#runs-list .run video.result-video") > 0
        assert _duration(page, "#runs-list .run video.control-video") > 0
        assert _duration(page, "#runs-list .run video.input-media") > 0
        facts = run.locator(".facts").inner_text()
        assert "11" in facts and "128\u00d764" in facts and "fal bill" in facts and "$" in facts

        _assert_fal_output_and_extras(e2e_live, str(request_id))

        page.click("[role=tab][data-tab=history]")
        page.wait_for_selector(f".history-row[data-request-id='{request_id}']")

        # a sweep of video_strength: two jobs, then the compare view of both
        page.click("[role=tab][data-tab=playground]")
        page.select_option("#sweep-param", "video_strength")
        page.fill("#sweep-values", "0.3, 0.9")
        page.click("#sweep-run")
        page.wait_for_selector("#runs-list .run[data-status=IN_PROGRESS] .logs li", timeout=WAIT_MS)
        screenshot(page, tmp_path, "playground-running")
        page.wait_for_selector(".compare[data-count='2']", timeout=WAIT_MS)
        for i in (1, 2):
            assert _duration(page, f".compare-grid figure:nth-child({i}) video") > 0
        assert "differs" in (page.get_attribute("tr[data-param=video_strength]", "class") or "")
        assert "differs" not in (page.get_attribute("tr[data-param=prompt]", "class") or "")
        page.click(".compare .sync-controls button:has-text('Play together')")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.compare-grid video')].every(v => v.currentTime > 0)",
            timeout=30_000,
        )
        screenshot(page, tmp_path, "playground-compare")
        _assert_clean(watched, e2e_live)


def _assert_clean(watched: Watched, live: Live) -> None:
    assert watched.errors == []
    assert watched.off_origin(live.base_url) == []


def _assert_fal_output_and_extras(live: Live, request_id: str) -> None:
    """The control video is an extra of the job record; fal's result stays `{video, seed, prompt}`."""
    with httpx.Client(base_url=live.base_url, timeout=60) as http:
        page = http.get(
            "/v1/models/requests/by-endpoint", params={"request_id": request_id, "expand": "payloads"}
        ).json()
        (item,) = page["items"]
        control = item["extras"]["control_video"]
        assert control["content_type"] == "video/mp4" and control["num_frames"] == 9
        assert (control["width"], control["height"]) == (128, 64)
        assert http.get(control["url"]).status_code == 200
        assert set(item["extras"]["timings"]) >= {"inputs", "sampling", "encode"}
        result = http.get(f"/queue/fal-ai/ltx-2.3-quality/requests/{request_id}").json()
        assert set(result) == {"video", "seed", "prompt"}
        assert result == item["json_output"]
