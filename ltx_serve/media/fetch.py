"""Resolve a media input URL to a local file, safely.

Inputs arrive as `http(s)://` URLs, as this server's own `/files/...` URLs (from an upload
or an earlier generation) or as `data:` URIs, exactly as fal accepts them. Remote URLs are
fetched with SSRF protection: every hop's host is resolved and refused if any address is
loopback, private, link-local, multicast, reserved or unspecified (unless the operator sets
`allow_private_urls`), the connection is pinned to the vetted address (no DNS-rebinding
window), redirects are followed by hand and re-checked, bodies are capped, and only
transient failures are retried. Every failure is a `FieldError` naming the request field,
so the caller gets fal's 422 list instead of a 500.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import mimetypes
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from ltx_serve.errors import FieldError

logger = logging.getLogger(__name__)

_FILES_PATH_RE = re.compile(r"^(?:/.*)?/files/([0-9a-f]{32})(?:/[^/]*)?$")
_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for remote fetches (filled from Settings)."""

    allow_private: bool = False
    max_bytes: int = 2 * 1024**3
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    retries: int = 3
    max_redirects: int = 5
    retry_wait_s: float = 0.5


class UnsafeUrl(Exception):
    """The URL points somewhere this server must not connect to."""


class _Transient(Exception):
    """A failure worth retrying (connection reset, timeout, 5xx/429)."""


def _is_public(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not (
        addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or (isinstance(addr, ipaddress.IPv4Address) and addr in ipaddress.ip_network("100.64.0.0/10"))
    )


def resolve_safe(host: str, port: int, allow_private: bool) -> str:
    """Resolve `host` and return one address to connect to; raise `UnsafeUrl` if any
    resolved address is non-public (an attacker controls only *some* records otherwise)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeUrl(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    addrs = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addrs:
        raise UnsafeUrl(f"host {host!r} has no addresses")
    if not allow_private:
        bad = [str(a) for a in addrs if not _is_public(a)]
        if bad:
            raise UnsafeUrl(
                f"host {host!r} resolves to a non-public address ({bad[0]}); this server only fetches "
                "public URLs (operators can allow private ones with LTX_SERVE_ALLOW_PRIVATE_URLS=1)"
            )
    return str(addrs[0])


def check_url_target(url: str, allow_private: bool) -> None:
    """Vet a URL we will send to (webhooks) with the same policy as media fetches."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("only http(s) URLs with a host are allowed")
    resolve_safe(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private)


def _ext_for(content_type: str | None, url_path: str) -> str:
    suffix = Path(urlsplit(url_path).path).suffix
    if suffix and len(suffix) <= 6:
        return suffix
    return mimetypes.guess_extension((content_type or "").split(";")[0].strip()) or ".bin"


# A local lookup for "/files/<id>" URLs: returns the stored path if the caller may read it.
LocalFileLookup = Callable[[str], Path | None]


class Fetcher:
    """Turns input URLs into local files inside a job's work directory."""

    def __init__(
        self,
        policy: FetchPolicy,
        local_lookup: LocalFileLookup | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.local_lookup = local_lookup
        self._transport = transport

    def fetch(self, url: str, field: str, dest_dir: Path, max_bytes: int | None = None) -> Path:
        limit = min(max_bytes or self.policy.max_bytes, self.policy.max_bytes)
        dest_dir.mkdir(parents=True, exist_ok=True)
        if not isinstance(url, str) or not url:
            raise FieldError(field, "Expected a URL (http(s) or data:).", input_value=url)
        if url.startswith("data:"):
            return self._from_data_uri(url, field, dest_dir, limit)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FieldError(
                field,
                "Unsupported URL: use an http(s) URL, a data: URI or an uploaded file URL.",
                input_value=url,
            )
        try:
            local = self._local_file(parts.path)
        except PermissionError as exc:
            raise FieldError(field, f"File not found: {url}.", input_value=url) from exc
        if local is not None:
            return local
        try:
            return self._download(url, field, dest_dir, limit)
        except UnsafeUrl as exc:
            raise FieldError(field, f"Refusing to fetch {url}: {exc}.", input_value=url) from exc

    # -- local and inline sources -----------------------------------------------------
    def _local_file(self, path: str) -> Path | None:
        """This server's own `/files/<id>` URL, read from the store whatever host was used
        (raises PermissionError for another key's file)."""
        match = _FILES_PATH_RE.match(path)
        if match is None or self.local_lookup is None:
            return None
        return self.local_lookup(match.group(1))

    def _from_data_uri(self, url: str, field: str, dest_dir: Path, limit: int) -> Path:
        header, sep, payload = url[5:].partition(",")
        if not sep:
            raise FieldError(field, "Malformed data URI: expected 'data:<mime>;base64,<data>'.")
        is_b64 = header.endswith(";base64")
        mime = header[: -len(";base64")] if is_b64 else header
        if (len(payload) * 3) // 4 > limit:
            raise FieldError(
                field, f"Inline data is larger than the {limit}-byte limit; upload the file instead."
            )
        try:
            data = base64.b64decode(payload, validate=False) if is_b64 else unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as exc:
            raise FieldError(field, f"Malformed base64 in data URI: {exc}.") from exc
        if len(data) > limit:
            raise FieldError(
                field, f"Inline data is larger than the {limit}-byte limit; upload the file instead."
            )
        path = dest_dir / f"{field.replace('.', '_')}-{uuid.uuid4().hex[:8]}{_ext_for(mime or None, '')}"
        path.write_bytes(data)
        return path

    # -- remote -----------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        p = self.policy
        timeout = httpx.Timeout(p.read_timeout_s, connect=p.connect_timeout_s)
        return httpx.Client(timeout=timeout, follow_redirects=False, transport=self._transport)

    def _download(self, url: str, field: str, dest_dir: Path, limit: int) -> Path:
        attempt = retry(
            retry=retry_if_exception(lambda e: isinstance(e, _Transient)),
            stop=stop_after_attempt(self.policy.retries),
            wait=wait_exponential(multiplier=self.policy.retry_wait_s, max=10),
            reraise=True,
        )(self._download_once)
        try:
            return attempt(url, field, dest_dir, limit)
        except _Transient as exc:
            raise FieldError(field, f"Could not download {url}: {exc}.", input_value=url) from exc

    def _download_once(self, url: str, field: str, dest_dir: Path, limit: int) -> Path:
        current = url
        with self._client() as client:
            for _ in range(self.policy.max_redirects + 1):
                request = self._pinned_request(client, current)
                try:
                    response = client.send(request, stream=True)
                except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                    raise _Transient(f"{type(exc).__name__}: {exc}") from exc
                try:
                    if response.is_redirect and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code in _TRANSIENT_STATUS:
                        raise _Transient(f"the server answered HTTP {response.status_code}")
                    if response.status_code >= 400:
                        raise FieldError(
                            field,
                            f"Could not download {url}: the server answered HTTP {response.status_code}.",
                            input_value=url,
                        )
                    return self._save(response, current, field, dest_dir, limit)
                finally:
                    response.close()
        raise FieldError(field, f"Too many redirects while downloading {url}.", input_value=url)

    def _pinned_request(self, client: httpx.Client, url: str) -> httpx.Request:
        """Connect to the vetted IP while keeping the Host header and TLS name of the URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeUrl(f"redirect to unsupported URL {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ip = resolve_safe(parts.hostname, port, self.policy.allow_private)
        ip_host = f"[{ip}]" if ":" in ip else ip
        pinned = httpx.URL(url).copy_with(host=ip_host.strip("[]"))
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
        extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
        return client.build_request("GET", pinned, headers=headers, extensions=extensions)

    def _save(self, response: httpx.Response, url: str, field: str, dest_dir: Path, limit: int) -> Path:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FieldError(
                field, f"{url} is {declared} bytes; the limit is {limit} bytes.", input_value=url
            )
        path = dest_dir / f"{field.replace('.', '_')}-{uuid.uuid4().hex[:8]}"
        path = path.with_suffix(_ext_for(response.headers.get("content-type"), url))
        size = 0
        try:
            with path.open("wb") as out:
                for chunk in response.iter_bytes(1024 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise FieldError(
                            field, f"{url} is larger than the {limit}-byte limit.", input_value=url
                        )
                    out.write(chunk)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            path.unlink(missing_ok=True)
            raise _Transient(f"{type(exc).__name__} while reading the body") from exc
        except FieldError:
            path.unlink(missing_ok=True)
            raise
        logger.info("fetched %s (%d bytes) for field %s", url, size, field)
        return path
