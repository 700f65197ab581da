"""Fixtures for the GPU performance paths, exercised on CPU with the project's tiny LTX-2.3 set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="session")
def tiny_dir(tiny_weights_dir: Path) -> Path:
    return tiny_weights_dir


@pytest.fixture(scope="session")
def tiny_components(tiny_dir: Path):
    """fp32 components loaded through the real loader (2-layer transformer, tiny Gemma)."""
    from ltx_serve.models.components import load_components

    with torch.no_grad():
        return load_components(tiny_dir, device="cpu", dtype=torch.float32)


def make_inputs(
    transformer: torch.nn.Module,
    *,
    batch: int = 2,
    frames: int = 2,
    height: int = 3,
    width: int = 4,
    audio_tokens: int = 5,
    text_len: int = 6,
    text_mask: bool = True,
    self_mask: bool = False,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> dict:
    """Transformer kwargs for a latent video of frames x height x width tokens, as the sampler passes them."""
    cfg = transformer.config
    g = torch.Generator().manual_seed(seed)
    n = frames * height * width
    kwargs: dict = {
        "hidden_states": torch.randn(batch, n, cfg.in_channels, generator=g, dtype=dtype),
        "audio_hidden_states": torch.randn(
            batch, audio_tokens, cfg.audio_in_channels, generator=g, dtype=dtype
        ),
        "encoder_hidden_states": torch.randn(
            batch, text_len, cfg.cross_attention_dim, generator=g, dtype=dtype
        ),
        "audio_encoder_hidden_states": torch.randn(
            batch, text_len, cfg.audio_cross_attention_dim, generator=g, dtype=dtype
        ),
        "timestep": torch.full((batch,), 700.0),
        "audio_timestep": torch.full((batch,), 700.0),
        "sigma": torch.full((batch,), 700.0),
        "audio_sigma": torch.full((batch,), 700.0),
        "num_frames": frames,
        "height": height,
        "width": width,
        "audio_num_frames": audio_tokens,
        "use_cross_timestep": True,
        "return_dict": False,
    }
    if text_mask:
        mask = torch.ones(batch, text_len)
        mask[:, : text_len // 3] = 0  # left padding, as Gemma's tokenizer pads
        kwargs["encoder_attention_mask"] = mask
        kwargs["audio_encoder_attention_mask"] = mask.clone()
    if self_mask:
        m = torch.ones(batch, n, n)
        m[:, :, n // 2 :] = 0.5  # IC-LoRA guide tokens at attention strength 0.5
        kwargs["video_self_attention_mask"] = m
    return kwargs


@pytest.fixture
def inputs() -> Callable[..., dict]:
    return make_inputs


def build_transformer(num_layers: int = 4, seed: int = 0) -> torch.nn.Module:
    """A tiny diffusers LTX2 transformer with the 2.3 flags (for block-count dependent tests)."""
    from diffusers import LTX2VideoTransformer3DModel

    torch.manual_seed(seed)
    model = LTX2VideoTransformer3DModel(
        in_channels=16,
        out_channels=16,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=8,
        audio_out_channels=8,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=num_layers,
        caption_channels=16,
        gated_attn=True,
        audio_gated_attn=True,
        cross_attn_mod=True,
        audio_cross_attn_mod=True,
        use_prompt_embeddings=False,
        perturbed_attn=True,
        rope_type="split",
    )
    return model.eval().requires_grad_(False)


@pytest.fixture
def small_transformer() -> Callable[..., torch.nn.Module]:
    return build_transformer
