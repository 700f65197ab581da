"""Text-encoder offload gives the same embeddings; VAE tiling switches engage diffusers' tiled path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ltx_serve.accel.offload import (
    SMALL_TILES,
    TextEncoderOffloader,
    VaeTiling,
    apply_vae_tiling,
    tiling_for_plan,
)


@pytest.fixture(scope="module")
def gemma(tiny_dir: Path):
    """A private copy of the tiny Gemma (the offloader re-points its weights)."""
    from ltx_serve.models.components import load_text_encoder

    return load_text_encoder(tiny_dir, device="cpu", dtype=torch.float32)


@torch.no_grad()
def _encode(model: torch.nn.Module, tokenizer, prompt: str) -> torch.Tensor:
    enc = tokenizer([prompt], padding="max_length", max_length=16, truncation=True, return_tensors="pt")
    device = next(model.parameters()).device
    out = model(
        input_ids=enc.input_ids.to(device),
        attention_mask=enc.attention_mask.to(device),
        output_hidden_states=True,
    )
    return torch.stack(out.hidden_states, dim=-1).float().cpu()


def _storages(model: torch.nn.Module) -> set[int]:
    return {p.data_ptr() for p in model.parameters()} | {b.data_ptr() for b in model.buffers()}


@pytest.mark.slow  # three Gemma forwards: 6-40 s on the shared 2-core CI machine
def test_encode_offload_encode_is_identical_and_weights_move(gemma) -> None:
    model, tok = gemma
    ref = _encode(model, tok, "a red fox in the snow")
    off = TextEncoderOffloader(model, "cpu", pin_memory=False)
    host = _storages(model)
    assert not off.on_device and off.host_bytes() == sum(
        t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()]
    )
    with off.onloaded() as m:
        assert off.on_device
        assert _storages(m).isdisjoint(host)  # a real copy was made for the device
        first = _encode(m, tok, "a red fox in the snow")
    assert not off.on_device and _storages(model) == host  # back on the host copy, nothing leaked
    off.onload()
    second = _encode(model, tok, "a red fox in the snow")
    off.offload()
    torch.testing.assert_close(first, ref, rtol=0, atol=0)
    torch.testing.assert_close(second, ref, rtol=0, atol=0)
    # tied weights stay tied (Gemma's lm_head shares the embedding)
    lm_head = model.get_output_embeddings()
    if lm_head is not None and lm_head.weight is model.get_input_embeddings().weight:
        assert lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()


def test_offload_happens_even_when_encoding_fails(gemma) -> None:
    model, _ = gemma
    off = TextEncoderOffloader(model, "cpu", pin_memory=False)
    host = _storages(model)
    with pytest.raises(RuntimeError, match="boom"), off.onloaded():
        raise RuntimeError("boom")
    assert not off.on_device and _storages(model) == host


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA: real device moves and pinned memory")
def test_cuda_offload_frees_gpu_memory(gemma) -> None:
    model, tok = gemma
    ref = _encode(model, tok, "a red fox")
    off = TextEncoderOffloader(model, "cuda")
    assert all(p.device.type == "cpu" and p.is_pinned() for p in model.parameters())
    base = torch.cuda.memory_allocated()
    with off.onloaded() as m:
        assert all(p.device.type == "cuda" for p in m.parameters())
        assert torch.cuda.memory_allocated() - base >= off.host_bytes() * 0.9
        out = _encode(m, tok, "a red fox")
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert torch.cuda.memory_allocated() - base < off.host_bytes() * 0.1
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


def test_vae_tiling_switch_engages_tiled_decode(tiny_components, monkeypatch) -> None:
    vae = tiny_components.vae
    calls: list[tuple[int, ...]] = []
    orig = vae.tiled_decode

    def spy(z, *args, **kwargs):
        calls.append(tuple(z.shape))
        return orig(z, *args, **kwargs)

    monkeypatch.setattr(vae, "tiled_decode", spy)
    z = torch.randn(1, vae.config.latent_channels, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    try:
        apply_vae_tiling(vae, None)
        with torch.no_grad():
            plain = vae.decode(z, return_dict=False)[0]
        assert calls == []
        tiles = VaeTiling(
            min_height=64, min_width=64, stride_height=32, stride_width=32, min_frames=8, stride_frames=8
        )
        apply_vae_tiling(vae, tiles)
        assert (vae.use_tiling, vae.tile_sample_min_height, vae.tile_sample_stride_width) == (True, 64, 32)
        with torch.no_grad():
            tiled = vae.decode(z, return_dict=False)[0]
        assert calls, "96x96 output with 64 px tiles must take the tiled path"
        assert tiled.shape == plain.shape and torch.isfinite(tiled).all()
    finally:
        apply_vae_tiling(vae, None)
    assert vae.use_tiling is False


def test_tiling_config_is_validated_and_follows_the_plan() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        VaeTiling(min_height=500)
    with pytest.raises(ValueError, match="exceed"):
        VaeTiling(min_height=256, stride_height=288)
    with pytest.raises(ValueError, match="multiple of 8"):
        VaeTiling(min_frames=12)

    class Plan:
        vae_tiling = True

    assert tiling_for_plan(Plan()) == VaeTiling()
    assert tiling_for_plan(Plan(), small=True) == SMALL_TILES
    Plan.vae_tiling = False
    assert tiling_for_plan(Plan()) is None
