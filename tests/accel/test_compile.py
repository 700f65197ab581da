"""Regional torch.compile: same outputs as eager, and warm-up absorbs the compiles.

Inductor does work on this CPU, but too slowly for the suite: on the shared 2-core machine the
2-block tiny transformer took 57 s to compile and 26 s more to recompile with a dynamic
sequence length (max abs difference to eager 6e-7). So numerical equivalence uses
`backend="aot_eager"` (dynamo capture + AOT autograd tracing, eager kernels; bit-identical here)
and recompile accounting uses a counting backend. Inductor/Triton numerics and speed are only
checked on a GPU (the CUDA test below, skipped here).
"""

from __future__ import annotations

import pytest
import torch

from ltx_serve.accel.attention import NATIVE, AttentionChoice, apply_attention_backend
from ltx_serve.accel.compile import WarmupShape, compile_transformer, warmup


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


class CountingBackend:
    """A dynamo backend that runs the captured graph eagerly and counts (re)compilations."""

    def __init__(self) -> None:
        self.compiles = 0

    def __call__(self, gm: torch.fx.GraphModule, example_inputs):
        self.compiles += 1
        return gm.forward


def test_warmup_shape_token_math_matches_the_ops_doc() -> None:
    s = WarmupShape(width=768, height=512, num_frames=121)
    assert s.latent_grid == (16, 16, 24) and s.video_tokens == 6144
    assert s.audio_tokens == 126  # round(121 / 24 * 25)
    assert WarmupShape(width=1280, height=704, num_frames=121).video_tokens == 14080
    assert WarmupShape(width=896, height=512, num_frames=121, guide_tokens=16 * 8 * 14).video_tokens == 8960


@pytest.mark.slow
def test_compiled_blocks_match_eager(small_transformer, inputs) -> None:
    ref = small_transformer(num_layers=2)
    tr = small_transformer(num_layers=2)
    kw = inputs(ref, batch=2, self_mask=True)
    with torch.no_grad():
        ref_v, ref_a = ref(**kw)
    compile_transformer(tr, backend="aot_eager", fullgraph=True)
    with torch.no_grad():
        v, a = tr(**kw)
    torch.testing.assert_close(v, ref_v, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(a, ref_a, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_warmup_makes_later_sizes_free(small_transformer, inputs) -> None:
    tr = small_transformer(num_layers=2)
    counter = CountingBackend()
    compile_transformer(tr, backend=counter, fullgraph=True)  # type: ignore[arg-type]
    shapes = [
        WarmupShape(width=128, height=96, num_frames=9, text_tokens=8),  # 2x3x4 = 24 tokens
        WarmupShape(width=160, height=128, num_frames=17, batch=2, text_tokens=8),  # 3x4x5 = 60 tokens
    ]
    timings = warmup(tr, shapes)
    assert len(timings) == 2 and counter.compiles >= 1
    after_warmup = counter.compiles
    # a size and batch never seen before: served by the (now dynamic) graph, no recompile
    kw = inputs(tr, batch=3, frames=2, height=5, width=6, audio_tokens=11, text_len=8, text_mask=True)
    with torch.no_grad():
        v, _ = tr(**kw)
    assert v.shape[:2] == (3, 60)
    assert counter.compiles == after_warmup


@pytest.mark.slow
def test_stg_needs_graph_breaks(small_transformer, inputs) -> None:
    kw = inputs(small_transformer(num_layers=2), batch=2)
    kw["spatio_temporal_guidance_blocks"] = [1]
    kw["perturbation_mask"] = torch.tensor([1.0, 0.0])
    strict = small_transformer(num_layers=2)
    compile_transformer(strict, backend=CountingBackend(), fullgraph=True)  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"all_perturbed|[Dd]ata-dependent|graph break"), torch.no_grad():
        strict(**kw)
    torch._dynamo.reset()
    ref = small_transformer(num_layers=2)
    tr = small_transformer(num_layers=2)
    options = compile_transformer(tr, backend=CountingBackend(), uses_stg=True)  # type: ignore[arg-type]
    assert options["fullgraph"] is False
    with torch.no_grad():
        v, _ = tr(**kw)
        ref_v, _ = ref(**kw)
    torch.testing.assert_close(v, ref_v, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA: inductor/Triton numerics in bf16")
def test_inductor_on_gpu_matches_eager(small_transformer, inputs) -> None:
    ref = small_transformer(num_layers=2).to("cuda", torch.bfloat16)
    tr = small_transformer(num_layers=2).to("cuda", torch.bfloat16)
    kw = {
        k: (v.to("cuda", torch.bfloat16) if k.endswith("hidden_states") else v.to("cuda"))
        if torch.is_tensor(v)
        else v
        for k, v in inputs(ref, batch=2).items()
    }
    compile_transformer(tr)
    with torch.no_grad():
        ref_v, _ = ref(**kw)
        v, _ = tr(**kw)
    torch.testing.assert_close(v.float(), ref_v.float(), rtol=2e-2, atol=2e-2)


def test_warmup_runs_masked_shapes_under_the_mask_scope(small_transformer) -> None:
    """With a mask-free kernel on video self-attention (`_native_flash` stands in for FA3 on the
    CPU), a masked warm-up shape must switch to the masked backend, as masked requests do."""
    tr = small_transformer(num_layers=2)
    choice = AttentionChoice(
        video_self="_native_flash", audio_self=NATIVE, text_cross=NATIVE, av_cross=NATIVE, masked=NATIVE
    )
    apply_attention_backend(tr, choice, check_requirements=False)
    shapes = [
        WarmupShape(width=64, height=64, num_frames=9, text_tokens=4),
        WarmupShape(width=96, height=64, num_frames=9, text_tokens=4, self_attention_mask=True),
    ]
    assert len(warmup(tr, shapes, choice)) == 2
    with pytest.raises(ValueError, match="attn_mask"):
        warmup(tr, shapes)  # without the scope the mask reaches a kernel that refuses it
