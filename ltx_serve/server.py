"""`ltx-serve serve`: build Settings from flags + env, build the engine, run uvicorn.

One port, plain HTTP by default, TLS when given a certificate and key (fal_client hard-codes
https://, see the README client section). SIGTERM is handled by uvicorn: it stops accepting, waits
for open requests, then the app lifespan stops the worker (running job finishes within
`shutdown_grace_s`, else it is cancelled and re-queued for the next start).
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from ltx_serve.config import Settings
from ltx_serve.engine.protocol import Engine
from ltx_serve.logs import setup_logging

logger = logging.getLogger(__name__)


class EngineLoadError(RuntimeError):
    """The `--engine` factory could not be imported or did not return an Engine."""


def build_engine(spec: str, settings: Settings) -> Engine:
    """Import `module:factory` and call it with the settings."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise EngineLoadError(f"--engine must look like 'package.module:factory', got {spec!r}.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EngineLoadError(
            f"Cannot import engine module {module_name!r} ({exc}). Is the LTX pipeline package installed? "
            "Pass --engine module:factory to use another engine."
        ) from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise EngineLoadError(f"{module_name!r} has no callable {attr!r}; check --engine {spec!r}.")
    engine = factory(settings)
    if not isinstance(engine, Engine):
        raise EngineLoadError(
            f"{spec} returned {type(engine).__name__}, which does not implement the Engine protocol."
        )
    return engine


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (0.0.0.0 for all).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Jobs database, uploads, outputs, keys.")] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="Folder with the LTX-2.3 weights.")
    ] = None,
    device: Annotated[str | None, typer.Option(help="Torch device, e.g. cuda, cuda:1, cpu.")] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate: serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key for --tls-cert.")] = None,
    api_key: Annotated[
        list[str] | None, typer.Option("--api-key", help="Accepted API key (repeatable). None: no auth.")
    ] = None,
    api_keys_file: Annotated[Path | None, typer.Option(help="File with one API key per line.")] = None,
    engine: Annotated[str | None, typer.Option(help="Engine factory 'module:function'.")] = None,
    allow_private_urls: Annotated[
        bool | None, typer.Option(help="Allow media/webhook URLs on private or loopback addresses.")
    ] = None,
    public_base_url: Annotated[str | None, typer.Option(help="Base URL put in returned URLs.")] = None,
    log_format: Annotated[str | None, typer.Option(help="json or text.")] = None,
) -> None:
    """Run the fal-compatible HTTP server (sync, queue, storage, proxy, metadata, metrics)."""
    import uvicorn

    overrides: dict[str, Any] = {
        "host": host,
        "port": port,
        "data_dir": data_dir,
        "weights_dir": weights,
        "device": device,
        "tls_cert": tls_cert,
        "tls_key": tls_key,
        "api_keys": api_key or None,
        "api_keys_file": api_keys_file,
        "engine": engine,
        "allow_private_urls": allow_private_urls,
        "public_base_url": public_base_url,
        "log_format": log_format,
    }
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
        settings.resolved_api_keys()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    setup_logging(settings.log_format, settings.log_level)
    try:
        built = build_engine(settings.engine, settings)
    except EngineLoadError as exc:
        logger.error("%s", exc)
        raise typer.Exit(code=2) from exc

    from ltx_serve.app import create_app

    app = create_app(settings, built)
    scheme = "https" if settings.tls_enabled else "http"
    logger.info("serving on %s://%s:%d", scheme, settings.host, settings.port)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s) or None,
        log_config=None,
        access_log=False,
    )
