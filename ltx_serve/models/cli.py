"""`ltx-serve weights ...` commands owned by the model layer (registered by `ltx_serve.cli`)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

weights_app = typer.Typer(help="Weights: make the tiny test set, inspect checkpoints.", no_args_is_help=True)


@weights_app.command("make-tiny")
def make_tiny_cmd(
    directory: Path = typer.Argument(..., help="Folder to write the tiny LTX-2.3 set into (created)."),
    seed: int = typer.Option(0, help="Random seed; the same seed writes byte-identical files."),
    distilled: bool = typer.Option(True, help="Also write the tiny distilled single file."),
) -> None:
    """Write a tiny random LTX-2.3 weights folder in the real file formats (tests, CPU demos)."""
    from ltx_serve.models.tiny import make_tiny

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = make_tiny(directory, seed=seed, distilled=distilled)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    typer.echo(f"wrote tiny LTX-2.3 weights to {out} ({total / 1e6:.1f} MB)")


@weights_app.command("inspect")
def inspect_cmd(checkpoint: Path = typer.Argument(..., help="A Lightricks .safetensors file.")) -> None:
    """Print a single-file checkpoint's model_version and architecture summary (header only)."""
    from ltx_serve.models.single_file import read_metadata

    info = read_metadata(checkpoint)
    t = info.config.get("transformer", {})
    typer.echo(f"model_version: {info.model_version}")
    video = f"{t.get('num_attention_heads')}x{t.get('attention_head_dim')}"
    audio = f"{t.get('audio_num_attention_heads')}x{t.get('audio_attention_head_dim')}"
    typer.echo(f"transformer: {t.get('num_layers')} layers, video {video}, audio {audio}")
