"""Headless Chromium (Debian's `chromium` package, installed by `scripts/setup.sh --test`)
driven by Playwright for Python, for the playground's browser tests.

Playwright's own browser download is never used: the browser is launched from its Debian
path with a fresh profile. The background-networking flags keep Chromium from calling home
(component updates, sync, field trials), which on a closed network floods the logs and
slows start-up. `Page` helpers record console errors and every request the page makes.

The playground's CSP forbids eval, so `page.wait_for_function` needs a function expression
("() => ..."), never a bare JavaScript expression.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path(os.environ.get("LTX_SERVE_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Set to copy each screenshot somewhere lasting (the tests write them to their tmp folder).
SCREENSHOT_COPY_ENV = "LTX_SERVE_SCREENSHOT_DIR"

# Every form control must have a name a screen reader reads: a <label for>, a wrapping
# <label>, aria-label or aria-labelledby pointing at text. Returns the unlabelled ones.
UNLABELLED_JS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden')
  .filter((el) => {
    if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return false;
    if ((el.getAttribute('aria-label') || '').trim()) return false;
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    return !ids.some((id) => (document.getElementById(id)?.textContent || '').trim());
  })
  .map((el) => el.outerHTML.slice(0, 160))
"""


@dataclass
class Watched:
    """A page plus what it did: console errors, uncaught errors, and every request URL."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def off_origin(self, base_url: str) -> list[str]:
        """Requests that went anywhere but `base_url` (data: and blob: URLs are not network)."""
        origin = urlsplit(base_url)
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob")
            and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
        ]


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
            "(scripts/setup.sh --test does) or point LTX_SERVE_CHROMIUM at it."
        )
    return CHROMIUM


@contextmanager
def chromium(profile_dir: Path) -> Iterator[Any]:
    """A Playwright browser context on Debian's Chromium with a fresh profile in `profile_dir`."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(executable),
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def watched_page(context: Any) -> Iterator[Watched]:
    page = context.new_page()
    watched = Watched(page)
    page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watched.errors.append(f"uncaught: {e}"))
    page.on("request", lambda r: watched.requests.append(r.url))
    try:
        yield watched
    finally:
        page.close()


def screenshot(page: Any, folder: Path, name: str) -> Path:
    """Write a full-page PNG to `folder` (and to $LTX_SERVE_SCREENSHOT_DIR when set)."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    copy_to = os.environ.get(SCREENSHOT_COPY_ENV)
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copy_to) / path.name)
    return path
