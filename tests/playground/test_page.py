"""`GET /playground` over plain HTTP: an HTML shell whose every script, style and module is
served by this server (from the package), under a CSP that allows nothing else."""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import httpx

from tests.fakes.live import Live

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "ltx_serve" / "playground" / "static"
IMPORT = re.compile(r"""(?:import|from)\s*["'](\.{1,2}/[^"']+)["']""")


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        url = named.get("src") if tag in ("script", "img", "video", "audio", "iframe") else None
        if tag == "link":
            url = named.get("href")
        if url:
            self.urls.append(url)


def test_page_and_every_asset_come_from_this_server(live: Live) -> None:
    page = httpx.get(f"{live.base_url}/playground")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    for directive in ("script-src 'self'", "style-src 'self'", "font-src 'self'", "connect-src 'self'"):
        assert directive in csp
    parser = _Assets()
    parser.feed(page.text)
    assert parser.urls, "the page links its assets"
    assert all(url.startswith("/playground/static/") for url in parser.urls), parser.urls
    # every module the page imports, transitively, is served with a JavaScript type
    pending, seen = [u for u in parser.urls if u.endswith(".js")], set()
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        asset = httpx.get(f"{live.base_url}{url}")
        assert asset.status_code == 200, url
        assert "javascript" in asset.headers["content-type"]
        assert asset.headers["cache-control"] == "no-cache"
        base = url.rsplit("/", 1)[0]
        pending += [httpx.URL(f"{live.base_url}{base}/").join(m).path for m in IMPORT.findall(asset.text)]
    assert {Path(u).name for u in seen} == {p.name for p in (STATIC / "js").glob("*.js")}
    for url in parser.urls:
        assert httpx.get(f"{live.base_url}{url}").status_code == 200


def test_static_files_ship_in_the_package() -> None:
    """pyproject's package-data globs cover every static file, so a wheel install has them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["ltx_serve.playground"]
    base = STATIC.parent
    shipped = {p for pattern in globs for p in base.glob(pattern)}
    assert shipped == {p for p in STATIC.rglob("*") if p.is_file()}


def test_shell_needs_no_key_but_its_data_does(keyed_live: Live) -> None:
    base = keyed_live.base_url
    assert httpx.get(f"{base}/playground").status_code == 200
    assert httpx.get(f"{base}/playground/static/js/main.js").status_code == 200
    assert httpx.get(f"{base}/v1/models").status_code == 401
    assert httpx.get(f"{base}/v1/models", headers={"Authorization": "Key key-a"}).status_code == 200


def test_unknown_static_file_is_a_404(live: Live) -> None:
    # %2e%2e reaches the server as ".." (a literal ".." is folded away by the client)
    assert httpx.get(f"{live.base_url}/playground/static/%2e%2e/__init__.py").status_code == 404
    assert httpx.get(f"{live.base_url}/playground/static/js/nope.js").status_code == 404
