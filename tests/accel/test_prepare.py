"""The start-up sequence on CPU: fp8 + native attention + warm-up runs and stays within bounds."""

from __future__ import annotations

import torch

from ltx_serve.accel.attention import NATIVE, DeviceInfo
from ltx_serve.accel.compile import WarmupShape
from ltx_serve.accel.prepare import AccelOptions, prepare_transformer


def test_prepare_on_cpu_with_fp8_and_warmup(small_transformer, inputs) -> None:
    ref = small_transformer(num_layers=3)
    kw = inputs(ref, batch=1, self_mask=True)
    with torch.no_grad():
        ref_v, _ = ref(**kw)
    tr = small_transformer(num_layers=3).to(torch.bfloat16)
    shapes = (
        WarmupShape(width=64, height=64, num_frames=9, text_tokens=4),
        WarmupShape(width=96, height=64, num_frames=9, batch=2, text_tokens=4, self_attention_mask=True),
    )
    state = prepare_transformer(
        tr, DeviceInfo(None), AccelOptions(fp8_storage=True, fp8_keep_blocks=(0,), warmup_shapes=shapes)
    )
    assert state.fp8 is not None and state.fp8.kept_blocks == (0,)
    assert {state.attention.video_self, state.attention.text_cross} == {NATIVE}
    assert len(state.warmup_seconds) == 2 and state.compile_options is None
    assert tr.transformer_blocks[1].attn1.to_q.weight.dtype == torch.float8_e4m3fn
    assert tr.transformer_blocks[0].attn1.to_q.weight.dtype == torch.bfloat16
    kwb = {k: v.to(torch.bfloat16) if k.endswith("hidden_states") else v for k, v in kw.items()}
    with torch.no_grad():
        v, _ = tr(**kwb)
    rel = float((v.float() - ref_v).abs().mean() / ref_v.abs().mean())
    assert rel < 0.10  # the fp8 bound of test_fp8.py
    assert "fp8 storage" in state.describe() and "warm-up" in state.describe()
