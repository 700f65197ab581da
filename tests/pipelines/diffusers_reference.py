"""Diffusers' LTX-2 pipelines built around our loaded components: the reference side of the
parity tests and of `benchmarks/sampler_vs_diffusers.py`, so both run the very same modules."""

from __future__ import annotations

from typing import Any


def diffusers_pipeline(components: Any, cls: Any = None) -> Any:
    """`cls` (default `LTX2Pipeline`) over `components`, with the flow-matching Euler scheduler."""
    from diffusers import FlowMatchEulerDiscreteScheduler, LTX2Pipeline

    pipe = (cls or LTX2Pipeline)(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=components.vae,
        audio_vae=components.audio_vae,
        text_encoder=components.text_encoder,
        tokenizer=components.tokenizer,
        connectors=components.connectors,
        transformer=components.transformer,
        vocoder=components.vocoder,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe
