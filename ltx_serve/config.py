"""Server settings, read from `LTX_SERVE_*` environment variables (and `.env`).

One frozen-at-start `Settings` object is built by `ltx-serve serve` (flags override env)
and handed to `create_app`; every router reads it from `app.state.settings`. Defaults are
chosen so a bare `ltx-serve serve` is safe on a shared host: loopback bind, private/loopback
media URLs refused, no API keys (everything open, as the fal clients need *some* key but we
ignore it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MiB = 1024 * 1024


class Settings(BaseSettings):
    """Everything an operator can tune. Env names are the field names upper-cased with
    the `LTX_SERVE_` prefix, e.g. `LTX_SERVE_PORT=8443`, `LTX_SERVE_API_KEYS=k1,k2`."""

    model_config = SettingsConfigDict(env_prefix="LTX_SERVE_", env_file=".env", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("data")
    weights_dir: Path | None = None
    device: str = "cuda"
    engine: str = "ltx_serve.engine.ltx:create_engine"

    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Base URL put into response/status/file URLs; default: the URL the client used.
    public_base_url: str | None = None

    # Browser origins allowed to call the API (CORS), e.g. a web app using the JS proxy.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    api_keys_file: Path | None = None

    # Media inputs (and webhook targets) resolving to loopback/private/link-local
    # addresses are refused unless this is on (tests, trusted LANs).
    allow_private_urls: bool = False
    fetch_max_bytes: int = Field(2048 * MiB, gt=0)
    fetch_connect_timeout_s: float = Field(10.0, gt=0)
    fetch_read_timeout_s: float = Field(60.0, gt=0)
    fetch_retries: int = Field(3, ge=1)
    fetch_max_redirects: int = Field(5, ge=0)

    upload_max_bytes: int = Field(2048 * MiB, gt=0)
    # Request bodies (JSON inputs with data URIs) above this are refused with 413.
    body_max_bytes: int = Field(512 * MiB, gt=0)

    result_retention_s: float = Field(7 * 24 * 3600.0, gt=0)
    # Seconds a running job may take to finish after SIGTERM before it is cancelled
    # (and re-queued for the next start).
    shutdown_grace_s: float = Field(30.0, ge=0)
    # Overlap jobs (ltx_serve.jobs.overlap): fetch/decode the next job's inputs and encode the
    # previous job's video while one denoises, when the engine's memory rule allows. The job
    # claimed ahead shows IN_PROGRESS ("waiting for the GPU" in its logs). False: one job at a time.
    overlap_jobs: bool = True

    webhook_max_attempts: int = Field(10, ge=1)
    webhook_backoff_s: float = Field(5.0, ge=0)
    webhook_backoff_max_s: float = Field(1800.0, ge=0)
    webhook_timeout_s: float = Field(15.0, gt=0)

    # Engine tuning (ltx_serve.engine.ltx). Gemma pads prompts to this many tokens (a
    # multiple of 128, the connectors' register count); default 1024 as upstream, 128 on the
    # tiny preset. Prompt expansion generates at most this many tokens (default 512; 16 tiny).
    text_max_tokens: int | None = Field(None, gt=0, multiple_of=128)
    expansion_max_tokens: int | None = Field(None, gt=0)
    # enable_safety_checker=true while the NSFW classifier's files are absent: `skip` (warn at
    # start-up and in the job log) or `refuse` the request (see docs/endpoints.md).
    safety_missing: Literal["skip", "refuse"] = "skip"
    # Start-up memory plan (ltx_serve.models.memory_plan, docs/operations.md "Memory"): `auto`
    # / None let the planner choose from the free GPU memory; a value forces that choice. On
    # CPU they are ignored (float32, everything resident).
    weights_dtype: Literal["auto", "bf16", "fp8"] = "auto"
    text_encoder_placement: Literal["auto", "gpu", "offload", "cpu"] = "auto"
    vae_tiling: bool | None = None
    # Regional torch.compile of the transformer blocks, warmed up at start-up with the
    # endpoints' default shapes. Opt-in until its speed-up is measured on the target GPU.
    compile_transformer: bool = False

    log_format: Literal["json", "text"] = "text"
    log_level: str = "INFO"

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """Accept `a,b` from the environment as well as a list."""
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @model_validator(mode="after")
    def _check_tls_pair(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("TLS needs both a certificate and a key: set tls_cert and tls_key together.")
        return self

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert is not None and self.tls_key is not None

    def resolved_api_keys(self) -> frozenset[str]:
        """Keys from `api_keys` plus one per non-empty, non-comment line of `api_keys_file`."""
        keys = set(self.api_keys)
        if self.api_keys_file is not None:
            try:
                text = self.api_keys_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"Cannot read api_keys_file {self.api_keys_file}: {exc}") from exc
            for line in text.splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    keys.add(line)
        return frozenset(keys)


def owner_id(api_key: str) -> str:
    """The id a key's jobs and files are filed under; keys themselves are never stored."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:24]
