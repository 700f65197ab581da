"""fp8 storage casting and fp8 checkpoint detection.

Tolerance: e4m3 keeps 3 mantissa bits, so every cast weight carries up to 6.25 % relative
rounding error (~2.5 % on average, random sign). Through a few blocks these errors add up
roughly in quadrature; with all blocks of a tiny model cast we measured ~3-6 % mean relative
error of the output against fp32. The bound is 10 %: twice the measured value, and still
far below the ~100 % a wrong cast (e.g. a dropped scale or wrong dtype) would give.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from ltx_serve.accel.fp8 import (
    OFFICIAL_KEEP_BLOCKS,
    attach_scaled_fp8,
    enable_fp8_storage,
    fp8_source,
    inspect_fp8_checkpoint,
    quantize_per_tensor,
    resolve_blocks,
)

MEAN_REL_BOUND = 0.10
# Lightricks' fp8-cast set: attention q/k/v/out and feed-forward Linears of the blocks.
CAST_RE = re.compile(
    r"\.(audio_attn[12]|attn[12]|audio_to_video_attn|video_to_audio_attn)\.(to_q|to_k|to_v|to_out\.0)\."
    r"|\.(audio_)?ff\.net\."
)


def _mean_rel(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out.float() - ref).abs().mean() / ref.abs().mean())


def _bf16_inputs(kw: dict) -> dict:
    return {
        k: v.to(torch.bfloat16) if torch.is_tensor(v) and k.endswith("hidden_states") else v
        for k, v in kw.items()
    }


def test_official_keep_list_resolves_to_first_and_last_two_of_48() -> None:
    assert resolve_blocks(OFFICIAL_KEEP_BLOCKS, 48) == (0, 1, 46, 47)
    assert resolve_blocks(OFFICIAL_KEEP_BLOCKS, 6) == (0, 1, 4, 5)
    assert resolve_blocks((0, 1, -2, -1), 3) == (0, 1, 2)
    assert resolve_blocks((7, -9), 4) == ()


def test_fp8_storage_keeps_skipped_modules_and_halves_block_weights(small_transformer) -> None:
    tr = small_transformer(num_layers=6).to(torch.bfloat16)
    before = {n: p.dtype for n, p in tr.named_parameters()}
    report = enable_fp8_storage(tr)  # official default: blocks 0, 1, 4, 5 kept
    assert report.kept_blocks == (0, 1, 4, 5)
    assert report.cast_modules and all(m.split(".")[1] in {"2", "3"} for m in report.cast_modules)
    params = dict(tr.named_parameters())
    fp8 = {n for n, p in params.items() if p.dtype == torch.float8_e4m3fn}
    # cast: exactly the q/k/v/out and feed-forward Linear weights/biases of blocks 2 and 3
    expected = {n for n in params if n.split(".")[1:2] in (["2"], ["3"]) and CAST_RE.search(n)}
    assert fp8 == expected
    for name, p in params.items():
        if name not in fp8:
            assert p.dtype == before[name], name  # norms, embeddings, proj_in/out, tables, kept blocks
    assert any(n.startswith("transformer_blocks.2.attn1.to_q") for n in fp8)
    assert params["transformer_blocks.0.attn1.to_q.weight"].dtype == torch.bfloat16
    assert params["transformer_blocks.2.attn1.to_gate_logits.weight"].dtype == torch.bfloat16
    assert params["transformer_blocks.2.scale_shift_table"].dtype == torch.bfloat16
    assert params["proj_in.weight"].dtype == torch.bfloat16
    # 1 byte instead of 2 for every cast parameter
    cast_numel = sum(params[n].numel() for n in fp8)
    assert report.saved_bytes == cast_numel


def test_fp8_storage_output_within_bound_of_fp32(small_transformer, inputs) -> None:
    ref_model = small_transformer(num_layers=4)
    kw = inputs(ref_model, batch=1, frames=2, height=4, width=4, text_len=8)
    with torch.no_grad():
        ref_v, ref_a = ref_model(**kw)
        bf16_v, _ = small_transformer(num_layers=4).to(torch.bfloat16)(**_bf16_inputs(kw))
    tr = small_transformer(num_layers=4).to(torch.bfloat16)
    enable_fp8_storage(tr, keep_blocks=())  # every block cast: the worst case
    with torch.no_grad():
        v, a = tr(**_bf16_inputs(kw))
    assert torch.isfinite(v).all() and torch.isfinite(a).all()
    err_v, err_a = _mean_rel(v, ref_v), _mean_rel(a, ref_a)
    assert err_v < MEAN_REL_BOUND and err_a < MEAN_REL_BOUND
    # fp8 really is in use: it is measurably worse than plain bf16
    assert err_v > _mean_rel(bf16_v, ref_v)
    # the weights went back to fp8 storage after the forward
    assert tr.transformer_blocks[0].ff.net[2].weight.dtype == torch.float8_e4m3fn


def test_fp8_storage_on_the_tiny_checkpoint(tiny_dir: Path, inputs) -> None:
    """The real loader's transformer (2 blocks) with blocks 0 and 1 cast: runs, within bound."""
    from ltx_serve.models.components import load_components

    comps = load_components(tiny_dir, dtype=torch.bfloat16, text_encoder=False, upsampler=False)
    tr = comps.transformer
    kw = inputs(tr, batch=1)
    with torch.no_grad():
        ref_v, _ = tr.float()(**kw)
    tr.to(torch.bfloat16)
    report = enable_fp8_storage(tr, keep_blocks=())
    assert report.kept_blocks == ()
    with torch.no_grad():
        v, _ = tr(**_bf16_inputs(kw))
    assert _mean_rel(v, ref_v) < MEAN_REL_BOUND


def _write(path: Path, tensors: dict[str, torch.Tensor]) -> Path:
    save_file(tensors, str(path))
    return path


def test_detects_scaled_fp8_checkpoint(tmp_path: Path) -> None:
    w = torch.randn(8, 8)
    path = _write(
        tmp_path / "ltx-2.3-22b-dev-fp8.safetensors",
        {
            "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight": w.to(torch.float8_e4m3fn),
            "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight_scale": torch.tensor(0.01),
            "model.diffusion_model.transformer_blocks.0.attn1.to_q.input_scale": torch.tensor(1.0),
            "model.diffusion_model.transformer_blocks.0.attn1.to_q.bias": torch.zeros(
                8, dtype=torch.bfloat16
            ),
        },
    )
    info = inspect_fp8_checkpoint(path)
    assert info.is_fp8 and info.scaled
    assert (info.fp8_tensors, info.scale_tensors) == (1, 2)
    assert info.dtype_counts["F8_E4M3"] == 1 and info.dtype_bytes["F8_E4M3"] == 64
    assert "fp8 checkpoint (scaled)" in info.describe()
    assert fp8_source("float8_e4m3fn", info) == "fp8_checkpoint"
    assert fp8_source("bfloat16", info) == "none"


def test_detects_unscaled_fp8_and_plain_bf16(tmp_path: Path, tiny_dir: Path) -> None:
    raw = _write(tmp_path / "raw.safetensors", {"a.weight": torch.randn(4, 4).to(torch.float8_e5m2)})
    info = inspect_fp8_checkpoint(raw)
    assert info.is_fp8 and not info.scaled
    bf16 = inspect_fp8_checkpoint(tiny_dir / "ltx-2.3-22b-dev.safetensors")
    assert not bf16.is_fp8 and set(bf16.dtype_counts) == {"BF16"}
    assert fp8_source("float8_e4m3fn", bf16) == "fp8_cast"
    assert fp8_source("float8_e4m3fn", None) == "fp8_cast"


def test_rejects_non_safetensors(tmp_path: Path) -> None:
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"\xff" * 16)
    with pytest.raises(ValueError):
        inspect_fp8_checkpoint(bad)


def test_scaled_fp8_is_more_accurate_at_real_weight_magnitudes() -> None:
    """The 22B model's Linear weights have std ~0.02: a plain e4m3 cast puts about half of them
    below 2**-6 (subnormals, fewer significant bits); a per-tensor scale does not."""
    w = torch.randn(1024, 1024, generator=torch.Generator().manual_seed(0)) * 0.02
    plain = _mean_rel(w.to(torch.float8_e4m3fn).float(), w)
    w8, scale = quantize_per_tensor(w)
    scaled = _mean_rel(w8.float() * scale, w)
    assert w8.dtype == torch.float8_e4m3fn and float(w8.float().abs().max()) == 448.0
    assert scaled < 0.8 * plain and scaled < 0.03  # measured: 3.4 % plain vs 2.3 % scaled


def test_scaled_fp8_storage_runs_and_restores_fp8_after_each_call(small_transformer, inputs) -> None:
    ref = small_transformer(num_layers=4)
    kw = inputs(ref, batch=1, frames=2, height=4, width=4, text_len=8)
    with torch.no_grad():
        ref_v, _ = ref(**kw)
    tr = small_transformer(num_layers=4).to(torch.bfloat16)
    report = enable_fp8_storage(tr, keep_blocks=(0,), scaled=True)
    assert report.scaled and report.kept_blocks == (0,)
    to_q = tr.transformer_blocks[1].attn1.to_q
    assert to_q.weight.dtype == torch.float8_e4m3fn and to_q.weight_scale.dtype == torch.float32
    assert tr.transformer_blocks[1].attn1.to_gate_logits.weight.dtype == torch.bfloat16
    assert tr.transformer_blocks[0].ff.net[2].weight.dtype == torch.bfloat16
    stored = to_q.weight.data_ptr()
    with torch.no_grad():
        v, _ = tr(**_bf16_inputs(kw))
    assert to_q.weight.dtype == torch.float8_e4m3fn and to_q.weight.data_ptr() == stored
    assert _mean_rel(v, ref_v) < MEAN_REL_BOUND
    # the raw fp8 + scale layout of an FP8 checkpoint loads as is
    lin = torch.nn.Linear(4, 3)
    w8, scale = quantize_per_tensor(lin.weight)
    with pytest.raises(ValueError, match="shape"):
        attach_scaled_fp8(torch.nn.Linear(3, 4), w8, scale, torch.float32)
    attach_scaled_fp8(lin, w8, scale, torch.float32)
    x = torch.randn(2, 4)
    torch.testing.assert_close(lin(x), x @ (w8.float() * scale).T + lin.bias)


def test_fp8_storage_leaves_weights_already_in_fp8_as_stored(small_transformer) -> None:
    """An fp8 checkpoint's Linears (attached with their scale at load) and a second call are
    not quantised again: their stored bits and scales stay exactly as they were."""
    tr = small_transformer(num_layers=3).to(torch.bfloat16)
    lin = tr.transformer_blocks[1].attn1.to_q
    w8, scale = quantize_per_tensor(lin.weight)
    attach_scaled_fp8(lin, w8, scale, torch.bfloat16)
    first = enable_fp8_storage(tr, keep_blocks=(0,))
    assert "transformer_blocks.1.attn1.to_q" in first.already_fp8
    assert "transformer_blocks.1.attn1.to_q" not in first.cast_modules and first.cast_modules
    assert torch.equal(lin.weight.view(torch.uint8), w8.view(torch.uint8)) and torch.equal(
        lin.weight_scale, scale
    )
    snapshot = {n: p.detach().clone() for n, p in tr.named_parameters()}
    second = enable_fp8_storage(tr, keep_blocks=(0,))
    assert second.cast_modules == () and set(second.already_fp8) == {*first.cast_modules, *first.already_fp8}
    assert all(
        torch.equal(p.view(torch.uint8), snapshot[n].view(torch.uint8)) for n, p in tr.named_parameters()
    )
