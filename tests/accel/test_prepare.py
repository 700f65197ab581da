"""The start-up sequence on CPU: native attention + warm-up on an fp8-stored transformer.

fp8 storage itself is the memory plan's step (`apply_plan`), done before `prepare_transformer`.
"""

from __future__ import annotations

import torch

from ltx_serve.accel.attention import NATIVE, DeviceInfo
from ltx_serve.accel.compile import WarmupShape
from ltx_serve.accel.fp8 import enable_fp8_storage
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
    enable_fp8_storage(tr, keep_blocks=(0,))  # as `apply_plan` does for an fp8 plan
    state = prepare_transformer(tr, DeviceInfo(None), AccelOptions(warmup_shapes=shapes))
    assert {state.attention.video_self, state.attention.text_cross} == {NATIVE}
    assert len(state.warmup_seconds) == 2 and state.compile_options is None
    # warm-up neither undid nor repeated the fp8 storage
    assert tr.transformer_blocks[1].attn1.to_q.weight.dtype == torch.float8_e4m3fn
    assert tr.transformer_blocks[0].attn1.to_q.weight.dtype == torch.bfloat16
    kwb = {k: v.to(torch.bfloat16) if k.endswith("hidden_states") else v for k, v in kw.items()}
    with torch.no_grad():
        v, _ = tr(**kwb)
    rel = float((v.float() - ref_v).abs().mean() / ref_v.abs().mean())
    assert rel < 0.10  # the fp8 bound of test_fp8.py
    assert "warm-up" in state.describe()
