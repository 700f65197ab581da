"""The memory plan picks the highest-quality configuration that fits each GPU size."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
import torch

from ltx_serve.models.memory_plan import (
    LTX23_PARAMS,
    GiB,
    MemoryOverrides,
    ModelSizes,
    apply_plan,
    plan_memory,
    prefetch_allowed,
    text_encoder_ready,
)
from tests.models.forward import tiny_transformer_forward
from tests.models.fp8_checkpoint import write_fp8_checkpoint

HOPPER = (9, 0)


def _plan(gb: float, cc=HOPPER, **over):
    return plan_memory(int(gb * GiB), cc, overrides=MemoryOverrides(**over) if over else None)


def test_h200_141gb_keeps_everything_resident_in_bf16():
    p = _plan(141)
    assert (p.weights_dtype, p.text_encoder, p.transformer, p.vae_tiling, p.fits) == (
        "bfloat16",
        "gpu",
        "gpu",
        False,
        True,
    )


def test_h100_80gb_keeps_bf16_and_moves_gemma_out_while_sampling():
    p = _plan(80)
    assert p.fits and p.weights_dtype == "bfloat16" and p.transformer == "gpu"
    assert p.text_encoder == "offload"
    assert p.peak_bytes <= 80 * GiB


def test_48gb_needs_fp8_transformer():
    p = _plan(48)
    assert p.fits and p.weights_dtype == "float8_e4m3fn" and p.transformer == "gpu"
    assert p.text_encoder == "offload"
    assert any("fp8" in n for n in p.notes)


def test_24gb_streams_the_transformer():
    p = _plan(24)
    assert p.fits and p.transformer == "group_offload"
    assert any("slower" in n for n in p.notes)


@pytest.mark.parametrize(
    ("gb", "host_gb", "allowed", "why"),
    [
        (141, 64, True, ""),
        (80, 64, True, ""),  # ~7 GiB left beside the peak: room for the depth / pose estimators
        (48, 64, True, ""),
        (24, 64, False, "group offload"),  # the transformer streams from host memory
        (141, 4, False, "host memory"),  # decoded inputs of another job would not fit in RAM
    ],
)
def test_jobs_overlap_only_where_the_plan_leaves_room(gb, host_gb, allowed, why):
    ok, reason = prefetch_allowed(_plan(gb), int(host_gb * GiB), on_gpu=True)
    assert ok is allowed and why in reason


def test_no_gpu_headroom_means_no_overlap_but_the_cpu_checks_only_host_memory():
    tight = replace(_plan(80), free_bytes=int(_plan(80).peak_bytes / 0.95) + GiB)  # 1 GiB beside the peak
    ok, why = prefetch_allowed(tight, 64 * GiB, on_gpu=True)
    assert not ok and why.startswith("GPU headroom 0.9") and why.endswith("< 2 GiB")
    assert prefetch_allowed(tight, 64 * GiB, on_gpu=False)[0]


def test_plans_get_monotonically_cheaper_as_memory_shrinks():
    peaks = [_plan(gb).peak_bytes for gb in (141, 80, 48, 24)]
    assert peaks == sorted(peaks, reverse=True)


def test_user_overrides_win_and_can_make_a_plan_not_fit():
    p = _plan(141, weights_dtype="float8_e4m3fn", vae_tiling=True)
    assert p.weights_dtype == "float8_e4m3fn" and p.vae_tiling and p.fits
    q = _plan(24, transformer="gpu", weights_dtype="bfloat16")
    assert not q.fits and "DOES NOT FIT" in q.describe()


def test_pre_ampere_gpus_are_flagged():
    p = _plan(80, cc=(7, 0))
    assert not p.fits and any("Ampere" in n for n in p.notes)


def test_parameter_counts_match_the_full_size_models():
    """The plan's sizes are the real 2.3 modules' counts (built on meta), not guesses."""
    from ltx_serve.models.keymap import Component
    from ltx_serve.models.presets import LTX23_CONFIG
    from ltx_serve.models.single_file import build_on_meta, diffusers_config, model_classes

    classes = model_classes()
    for comp in Component:
        n = sum(
            p.numel() for p in build_on_meta(classes[comp], diffusers_config(comp, LTX23_CONFIG)).parameters()
        )
        assert abs(n - LTX23_PARAMS[comp.value]) / n < 0.01, comp
    assert ModelSizes().core_bytes("bfloat16") > ModelSizes().core_bytes("float8_e4m3fn")


def test_fp8_bytes_are_what_fp8_storage_really_stores():
    """The plan's fp8 transformer size comes from the share `enable_fp8_storage` casts at full
    size (blocks 2-45's attention and feed-forward), not from "everything in fp8"."""
    from ltx_serve.accel.fp8 import enable_fp8_storage
    from ltx_serve.models.keymap import Component
    from ltx_serve.models.presets import LTX23_CONFIG
    from ltx_serve.models.single_file import build_on_meta, diffusers_config, model_classes

    comp = Component.TRANSFORMER
    tr = build_on_meta(model_classes()[comp], diffusers_config(comp, LTX23_CONFIG)).to(torch.bfloat16)
    report = enable_fp8_storage(tr)
    assert report.kept_blocks == (0, 1, 46, 47)
    stored = sum(p.numel() * p.element_size() for p in tr.parameters())
    assert abs(ModelSizes().bytes("transformer", "float8_e4m3fn") - stored) / stored < 0.01
    assert 20e9 < stored < 22e9  # ~21 GB, against 38 GB in bf16


# The Linears fp8 storage covers (Lightricks' fp8-cast set): attention q/k/v/out and feed-forward.
CAST_RE = re.compile(
    r"\.(audio_attn[12]|attn[12]|audio_to_video_attn|video_to_audio_attn)\.(to_q|to_k|to_v|to_out\.0)\."
    r"|\.(audio_)?ff\.net\."
)
FP8_OFFLOAD_TILED = MemoryOverrides(
    weights_dtype="float8_e4m3fn", text_encoder="offload", vae_tiling=True, transformer="gpu"
)


def _block(name: str) -> int | None:
    parts = name.split(".")
    return int(parts[1]) if parts[0] == "transformer_blocks" else None


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().mean() / b.abs().mean())


@pytest.fixture(scope="module")
def fp8_plan():
    return plan_memory(48 * GiB, HOPPER, overrides=FP8_OFFLOAD_TILED)


@pytest.fixture(scope="module")
def fp8_comps(six_block_dir, fp8_plan):
    """A 6-block set laid out by the fp8 + Gemma-offload + tiling plan (bf16 file: "fp8_cast")."""
    from ltx_serve.models.components import load_for_plan

    return load_for_plan(six_block_dir, fp8_plan, device="cpu", upsampler=False)


def test_fp8_plan_keeps_first_and_last_two_blocks_norms_and_embeddings_in_bf16(six_block_dir, fp8_comps):
    from ltx_serve.models.components import load_components

    params = dict(fp8_comps.transformer.named_parameters())
    fp8 = {n for n, p in params.items() if p.dtype == torch.float8_e4m3fn}
    assert fp8 == {n for n in params if _block(n) in (2, 3) and CAST_RE.search(n)}
    assert {_block(n) for n in fp8} == {2, 3}  # blocks 0, 1, -2, -1 of 6 untouched
    assert all(p.dtype == torch.bfloat16 for n, p in params.items() if n not in fp8)
    for name in (
        "transformer_blocks.2.attn1.norm_q.weight",  # norm inside a cast block
        "transformer_blocks.2.attn1.to_gate_logits.weight",  # per-head gate
        "transformer_blocks.2.scale_shift_table",  # AdaLN table
        "time_embed.linear.weight",  # timestep embedding
        "proj_in.weight",
        "audio_proj_out.weight",
    ):
        assert params[name].dtype == torch.bfloat16, name
    gemma = dict(fp8_comps.text_encoder.named_parameters())
    assert gemma["model.language_model.layers.0.mlp.up_proj.weight"].dtype == torch.float8_e4m3fn
    for name in (
        "model.language_model.embed_tokens.weight",
        "model.language_model.norm.weight",
        "model.language_model.layers.0.input_layernorm.weight",
        "model.vision_tower.embeddings.patch_embedding.weight",
    ):
        assert gemma[name].dtype == torch.bfloat16, name
    # computes in bf16 from fp8 storage: close to the bf16 model, but really through fp8
    ref = load_components(six_block_dir, dtype=torch.bfloat16, text_encoder=False, upsampler=False)
    (v, a), (ref_v, ref_a) = (
        tiny_transformer_forward(fp8_comps.transformer),
        tiny_transformer_forward(ref.transformer),
    )
    assert torch.isfinite(v).all() and torch.isfinite(a).all()
    assert 0 < _rel(v, ref_v) < 0.10 and _rel(a, ref_a) < 0.10


def _storages(model: torch.nn.Module) -> set[int]:
    return {p.data_ptr() for p in model.parameters()} | {b.data_ptr() for b in model.buffers()}


def _encode(gemma, tokenizer) -> torch.Tensor:
    ids = tokenizer(["a red fox in the snow"], padding="max_length", max_length=16, return_tensors="pt")
    with torch.no_grad():
        return torch.stack(gemma(**ids, output_hidden_states=True).hidden_states, dim=-1).float()


def test_offloaded_gemma_encodes_identically_and_leaves_the_device(fp8_comps, fp8_plan):
    """encode -> offload -> encode through `text_encoder_ready`, the engine's entry point."""
    from ltx_serve.accel.offload import TextEncoderOffloader

    c = fp8_comps
    assert isinstance(c.text_encoder_offloader, TextEncoderOffloader)
    host = _storages(c.text_encoder)
    with text_encoder_ready(c, fp8_plan, "cpu") as gemma:
        assert gemma is c.text_encoder
        assert _storages(gemma).isdisjoint(host)  # a device copy was made for encoding
        first = _encode(gemma, c.tokenizer)
    assert _storages(c.text_encoder) == host  # offloaded: back on the one host copy
    with text_encoder_ready(c, fp8_plan, "cpu") as gemma:
        second = _encode(gemma, c.tokenizer)
    assert _storages(c.text_encoder) == host
    assert len(first.shape) == 4 and first.shape[-1] == 49 and torch.isfinite(first).all()
    torch.testing.assert_close(second, first, rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="boom"), text_encoder_ready(c, fp8_plan, "cpu"):
        raise RuntimeError("boom")
    assert _storages(c.text_encoder) == host and not c.text_encoder_offloader.on_device
    # other placements: Gemma is used where it is
    with text_encoder_ready(c, replace(fp8_plan, text_encoder="cpu"), "cpu") as gemma:
        assert gemma is c.text_encoder and _storages(gemma) == host


def test_vae_tiling_uses_the_plans_tile_sizes(tiny_dir):
    from ltx_serve.accel.offload import tiling_for_plan
    from ltx_serve.models.components import load_components

    c = load_components(tiny_dir, dtype=torch.bfloat16, text_encoder=False, upsampler=False)
    # leftovers of an earlier setting must not survive the plan
    c.vae.enable_tiling(tile_sample_min_height=64, tile_sample_min_width=64)
    plan = plan_memory(141 * GiB, HOPPER, overrides=MemoryOverrides(vae_tiling=True))
    apply_plan(c, plan, "cpu")
    want = tiling_for_plan(plan)
    assert want is not None
    vae = c.vae
    assert (
        vae.use_tiling,
        vae.tile_sample_min_height,
        vae.tile_sample_min_width,
        vae.tile_sample_stride_height,
        vae.tile_sample_stride_width,
        vae.tile_sample_min_num_frames,
        vae.tile_sample_stride_num_frames,
    ) == (
        True,
        want.min_height,
        want.min_width,
        want.stride_height,
        want.stride_width,
        want.min_frames,
        want.stride_frames,
    )
    assert want.min_height != 64
    apply_plan(c, replace(plan, vae_tiling=False), "cpu")
    assert vae.use_tiling is False


@pytest.fixture(scope="module")
def fp8_file_dir(six_block_dir, tmp_path_factory) -> tuple[Path, list[str]]:
    """The 6-block file as an official-layout FP8 checkpoint: blocks 2 and 3's attention and
    feed-forward weights in float8 with per-tensor scales, blocks 0, 1, 4, 5 in bf16."""
    from ltx_serve.models import catalog
    from ltx_serve.models.keymap import Component, to_diffusers
    from ltx_serve.models.single_file import read_metadata

    name = catalog.BY_KEY["dev"].filename
    config = read_metadata(six_block_dir / name).config

    def official(key: str) -> bool:
        mapped = to_diffusers(key, config)
        return (
            mapped is not None
            and mapped[0] is Component.TRANSFORMER
            and _block(mapped[1]) in (2, 3)
            and bool(CAST_RE.search(mapped[1]))
        )

    out = tmp_path_factory.mktemp("six-blocks-fp8")
    keys = write_fp8_checkpoint(six_block_dir / name, out / name, official)
    gemma = catalog.BY_KEY["gemma"].filename
    (out / gemma).symlink_to(six_block_dir / gemma, target_is_directory=True)
    return out, keys


def _record_weight(seen: dict[str, torch.Tensor], name: str, module: torch.nn.Module, args: tuple) -> None:
    """Forward pre-hook: the weight a Linear computes with (after fp8 dequantisation)."""
    seen.setdefault(name, module.weight.detach().clone())


def test_fp8_checkpoint_weights_are_kept_as_stored_and_rounded_once(fp8_file_dir, fp8_plan):
    """Under the fp8 plan the file's fp8 bits and scales are used as they are: the weights the
    model computes with are scale x stored fp8, rounded once to bf16 — the very weights a bf16
    plan dequantises — not re-quantised from a dequantised copy."""
    from safetensors.torch import load_file

    from ltx_serve.models import catalog
    from ltx_serve.models.components import load_components, load_for_plan
    from ltx_serve.models.keymap import to_diffusers

    folder, keys = fp8_file_dir
    file = load_file(str(folder / catalog.BY_KEY["dev"].filename))
    c = load_for_plan(folder, fp8_plan, device="cpu", upsampler=False)
    bf16 = load_components(folder, dtype=torch.bfloat16, text_encoder=False, upsampler=False)
    tr = c.transformer
    assert keys and {_block(to_diffusers(k, c.config)[1]) for k in keys} == {2, 3}
    seen: dict[str, torch.Tensor] = {}
    for key in keys:
        module_name = to_diffusers(key, c.config)[1].removesuffix(".weight")
        lin = tr.get_submodule(module_name)
        stored, scale = file[key], file[key.removesuffix(".weight") + ".weight_scale"]
        assert lin.weight.dtype == torch.float8_e4m3fn
        assert torch.equal(lin.weight.view(torch.uint8), stored.view(torch.uint8))  # bits as in the file
        assert torch.equal(lin.weight_scale, scale)
        lin.register_forward_pre_hook(partial(_record_weight, seen, module_name))
    v, a = tiny_transformer_forward(tr)
    assert torch.isfinite(v).all() and torch.isfinite(a).all()
    assert len(seen) == len(keys)  # every fp8 Linear ran
    twice_rounded_differs = False
    for key in keys:
        module_name = to_diffusers(key, c.config)[1].removesuffix(".weight")
        stored, scale = file[key], file[key.removesuffix(".weight") + ".weight_scale"]
        exact = (stored.float() * scale).to(torch.bfloat16)
        assert torch.equal(seen[module_name], exact), module_name
        assert torch.equal(bf16.transformer.get_submodule(module_name).weight, exact), module_name
        twice = exact.to(torch.float8_e4m3fn).to(torch.bfloat16)  # the old dequantise-then-cast path
        twice_rounded_differs |= not torch.equal(twice, exact)
    assert twice_rounded_differs  # the check above can tell the two paths apart
    for name, p in tr.named_parameters():
        if _block(name) in (0, 1, 4, 5):
            assert p.dtype == torch.bfloat16, name


def test_apply_group_offload_plan_runs(tiny_dir):
    from ltx_serve.models.components import load_for_plan

    p = plan_memory(24 * GiB, HOPPER)
    assert p.transformer == "group_offload"
    c = load_for_plan(tiny_dir, p, device="cpu", upsampler=False)
    assert apply_plan  # same entry point the loader used
    video, _ = tiny_transformer_forward(c.transformer)
    assert torch.isfinite(video).all()


@pytest.mark.parametrize("gb", [24, 48, 80, 141])
def test_describe_is_one_informative_line(gb):
    text = _plan(gb).describe()
    assert "\n" not in text and "GiB free" in text and "Gemma" in text
