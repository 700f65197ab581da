"""Request-scoped accessors (vLLM style): routers read shared objects from `app.state`,
so `create_app` is the only place that decides what they are."""

from __future__ import annotations

from fastapi import Request

from ltx_serve.config import Settings, owner_id
from ltx_serve.errors import RequestError
from ltx_serve.jobs.models import Job
from ltx_serve.jobs.service import JobService
from ltx_serve.schemas import EndpointSpec, get_endpoint
from ltx_serve.storage.tokens import TokenSigner


def service(request: Request) -> JobService:
    return request.app.state.jobs


def settings(request: Request) -> Settings:
    return request.app.state.settings


def base_url(request: Request) -> str:
    """Where this client reached us (honours `public_base_url`): URLs we hand out use it."""
    configured = request.app.state.settings.public_base_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


class Unauthorized(RequestError):
    status_code = 401


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("key", "bearer") and value.strip():
        return value.strip()
    return None


def owner(request: Request) -> str:
    """The caller's owner id ('' when the server has no API keys: everyone shares one space).

    Accepts `Authorization: Key <key>` (fal's scheme) and `Bearer <key>`.
    """
    keys: frozenset[str] = request.app.state.api_keys
    if not keys:
        return ""
    credential = _credential(request)
    if credential is None:
        raise Unauthorized("Missing credentials: send 'Authorization: Key <your ltx-serve API key>'.")
    if credential not in keys:
        raise Unauthorized("Invalid API key.")
    return owner_id(credential)


def upload_owner(request: Request) -> str:
    """Like `owner`, but also accepts the short-lived CDN token from /storage/auth/token."""
    keys: frozenset[str] = request.app.state.api_keys
    credential = _credential(request)
    if credential is not None:
        signer: TokenSigner = request.app.state.tokens
        token_owner = signer.verify(credential)
        if token_owner is not None:
            return token_owner
    if not keys:
        return ""
    return owner(request)


def endpoint_filter(values: list[str] | None) -> tuple[EndpointSpec, ...]:
    """fal's platform-API `endpoint_id` filter: repeated or comma-separated; an id not served
    here is a 404 naming the served ids. Empty: no filter."""
    ids = [e.strip() for value in values or [] for e in value.split(",") if e.strip()]
    return tuple(get_endpoint(e) for e in ids)


def start_timeout(request: Request) -> float | None:
    """fal's `X-Fal-Request-Timeout` (seconds until processing must start), if sent."""
    raw = request.headers.get("x-fal-request-timeout")
    try:
        value = float(raw) if raw else None
    except ValueError:
        raise RequestError("X-Fal-Request-Timeout must be a number of seconds.", 400) from None
    return value if value and value > 0 else None


def result_headers(job: Job) -> dict[str, str]:
    """Headers of a sync answer or replayed result.

    `x-fal-billable-units` is fal's per-megapixel bill, rounded up (0 for a failed job), so
    metering proxies written against fal keep working; it is left out only for jobs stored
    before megapixels were kept. A start timeout is marked as the user's
    (`X-Fal-Request-Timeout-Type: user`) so neither fal client retries it.
    """
    headers = {"x-fal-request-id": job.request_id}
    units = job.billable_units
    if units is not None:
        headers["x-fal-billable-units"] = str(units)
    error_type = job.error_type
    if error_type == "request_timeout":
        headers["x-fal-request-timeout-type"] = "user"
        headers["x-fal-error-type"] = "request_timeout"
    return headers
