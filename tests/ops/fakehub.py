"""A tiny stand-in for the Hugging Face hub's HTTP API, served on 127.0.0.1.

It answers the calls huggingface_hub 2.x makes (read from its source):
- `HEAD|GET /{repo}/resolve/{revision}/{path}` with `X-Repo-Commit`, `ETag`,
  `Content-Length`, and `Range` support (206 + `Content-Range`) for resumed transfers;
- `GET /api/models/{repo}/revision/{revision}` (`repo_info`, used by `snapshot_download`);
- `GET /api/models/{repo}/tree/{revision}?recursive=...` (`list_repo_tree`).
Gated repos answer 403 with `X-Error-Code: GatedRepo`, as the hub does for an account that
has not accepted the licence.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class FakeHub:
    repos: dict[str, dict[str, bytes]]
    gated: set[str] = field(default_factory=set)
    # Paths whose first GET is cut off after this many bytes (to exercise Range resume).
    cut_first_get: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""

    def gets(self, suffix: str) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if r[0] == "GET" and r[1].endswith(suffix)]


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    resolve = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")
    info = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/revision/(?P<rev>[^/?]+)")
    tree = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/?]+)")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # silence stderr
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool = False) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _json(self, obj: object) -> None:
            self._send(200, json.dumps(obj).encode(), {"Content-Type": "application/json"})

        def _denied(self, repo: str) -> bool:
            if repo in hub.gated:
                self._send(
                    403,
                    json.dumps({"error": f"Access to model {repo} is restricted."}).encode(),
                    {
                        "X-Error-Code": "GatedRepo",
                        "X-Error-Message": f"Access to model {repo} is restricted.",
                    },
                )
                return True
            if repo not in hub.repos:
                self._send(404, b"{}", {"X-Error-Code": "RepoNotFound"})
                return True
            return False

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            path = self.path.split("?", 1)[0]
            hub.requests.append((self.command, path, self.headers.get("Range")))
            if m := resolve.match(path):
                if self._denied(m["repo"]):
                    return
                self._resolve(m["repo"], m["path"], head)
            elif m := info.match(path):
                if not self._denied(m["repo"]):
                    self._json({"id": m["repo"], "sha": COMMIT, "siblings": []})
            elif m := tree.match(path):
                if not self._denied(m["repo"]):
                    files = hub.repos[m["repo"]]
                    self._json(
                        [
                            {"type": "file", "path": p, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                            for p, b in files.items()
                        ]
                    )
            else:
                self._send(404, b"{}", {})

        def _resolve(self, repo: str, filename: str, head: bool) -> None:
            files = hub.repos[repo]
            if filename not in files:
                self._send(404, b"{}", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": COMMIT})
                return
            body = files[filename]
            headers = {
                "X-Repo-Commit": COMMIT,
                "ETag": f'"{hashlib.sha256(body).hexdigest()}"',
                "Accept-Ranges": "bytes",
                "Content-Type": "application/octet-stream",
            }
            rng = self.headers.get("Range")
            if rng and not head:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                part = body[start:]
                headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                self._send(206, part, headers)
                return
            key = f"{repo}/{filename}"
            if not head and key in hub.cut_first_get:
                cut = hub.cut_first_get.pop(key)
                headers["Content-Length"] = str(len(body))
                self.send_response(200)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self._send(200, body, headers, head=head)

    return Handler


@contextmanager
def serve(hub: FakeHub) -> Iterator[FakeHub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
