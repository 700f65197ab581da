"""Attention backend choice: the right kernel per GPU, never a mask-less kernel where a mask arrives."""

from __future__ import annotations

import pytest
import torch

from ltx_serve.accel.attention import (
    CUDNN,
    FLASH2,
    FLASH3,
    FLEX,
    MASK_CAPABLE,
    NATIVE,
    SAGE,
    DeviceInfo,
    Role,
    apply_attention_backend,
    choose_attention_backend,
    detect_device_info,
    self_attention_mask_scope,
)

A100 = DeviceInfo((8, 0), flash_attn_version=(2, 7, 4), name="A100")
A100_NO_FA = DeviceInfo((8, 0), name="A100")
H100_FA3 = DeviceInfo((9, 0), flash_attn_version=(2, 7, 4), has_flash_attn_3=True, name="H100")
H100 = DeviceInfo((9, 0), flash_attn_version=(2, 7, 4), name="H100")
L40S = DeviceInfo((8, 9), sageattention_version=(2, 2, 0), name="L40S")
RTX4090 = DeviceInfo((8, 9), flash_attn_version=(2, 8, 0), sageattention_version=(2, 2, 0), name="RTX 4090")
B200_FA3 = DeviceInfo((10, 0), has_flash_attn_3=True, name="B200")
CPU = DeviceInfo(None)


@pytest.mark.parametrize(
    ("info", "fast"),
    [
        (H100_FA3, FLASH3),
        (H100, CUDNN),
        (A100, FLASH2),
        (A100_NO_FA, NATIVE),
        (L40S, NATIVE),  # sage present but not opted in
        (RTX4090, FLASH2),
        (B200_FA3, CUDNN),  # FA3 is Hopper-only
        (CPU, NATIVE),
    ],
)
@pytest.mark.parametrize("self_mask", [False, True])
def test_choice_per_device(info: DeviceInfo, fast: str, self_mask: bool) -> None:
    choice = choose_attention_backend(info, needs_self_attn_mask=self_mask)
    assert choice.audio_self == fast
    assert choice.av_cross == fast
    assert choice.text_cross == NATIVE  # the prompt mask is always passed
    assert choice.video_self == (NATIVE if self_mask else fast)
    assert choice.masked in MASK_CAPABLE


def test_text_cross_attention_gets_the_fast_kernel_without_a_prompt_mask() -> None:
    choice = choose_attention_backend(H100_FA3, False, needs_text_mask=False)
    assert (choice.text_cross, choice.video_self) == (FLASH3, FLASH3)


def test_all_ones_prompt_mask_equals_no_mask(tiny_components, inputs) -> None:
    """What makes `needs_text_mask=False` safe: LTX-2.3's connectors return an all-ones mask,
    and dropping it leaves the transformer output unchanged."""
    connectors = tiny_components.connectors
    regs = connectors.video_connector.num_learnable_registers
    width = connectors.config.caption_channels * connectors.config.text_proj_in_factor
    padded = torch.ones(1, regs)
    padded[:, : regs // 2] = 0  # half the prompt is left padding
    with torch.no_grad():
        *_, out_mask = connectors(torch.randn(1, regs, width), padded, padding_side="left")
    assert bool((out_mask == 1).all())
    tr = tiny_components.transformer
    kw = inputs(tr, text_mask=False)
    with torch.no_grad():
        none_v, none_a = tr(**kw)
        ones = torch.ones(kw["encoder_hidden_states"].shape[:2])
        ones_v, ones_a = tr(**kw, encoder_attention_mask=ones, audio_encoder_attention_mask=ones)
    torch.testing.assert_close(ones_v, none_v, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ones_a, none_a, rtol=1e-6, atol=1e-6)


def test_hopper_without_cudnn9_falls_back() -> None:
    old_cudnn = DeviceInfo((9, 0), flash_attn_version=(2, 7, 4), cudnn_version=8902)
    assert choose_attention_backend(old_cudnn, False).video_self == FLASH2
    assert choose_attention_backend(DeviceInfo((9, 0), cudnn_version=None), False).video_self == NATIVE


def test_old_flash_attn_is_ignored() -> None:
    old = DeviceInfo((8, 0), flash_attn_version=(2, 5, 9))
    assert choose_attention_backend(old, False).video_self == NATIVE


def test_float32_compute_never_gets_half_only_kernels() -> None:
    choice = choose_attention_backend(H100_FA3, False, compute_dtype=torch.float32)
    assert {choice.video_self, choice.audio_self, choice.av_cross, choice.text_cross} == {NATIVE}


def test_sage_and_flex_are_opt_in() -> None:
    assert choose_attention_backend(L40S, False, allow_quantized=True).video_self == SAGE
    flex = choose_attention_backend(H100, True, prefer_flex_for_masks=True)
    assert (flex.text_cross, flex.video_self, flex.masked) == (FLEX, FLEX, FLEX)
    # flex without a GPU (and without compile) is only slower: CPU stays on SDPA
    assert choose_attention_backend(CPU, True, prefer_flex_for_masks=True).text_cross == NATIVE


def test_detect_on_this_machine() -> None:
    info = detect_device_info("cuda" if torch.cuda.is_available() else "cpu")
    assert info.is_cuda == torch.cuda.is_available()
    assert info.torch_version >= (2, 0)


def test_every_masked_module_gets_a_mask_capable_backend(tiny_components, inputs) -> None:
    """Run the real model with a text and a self mask; every module that saw a mask must be mask-capable
    under the H100+FA3 choice (the role table is checked against diffusers' actual call sites)."""
    tr = tiny_components.transformer
    seen: dict[str, bool] = {}
    hooks = []
    for name, mod in tr.named_modules():
        if hasattr(mod, "processor") and type(mod).__name__ == "LTX2Attention":

            def hook(m, args, kwargs, name=name):
                mask = kwargs.get("attention_mask", args[2] if len(args) > 2 else None)
                seen[name] = seen.get(name, False) or mask is not None

            hooks.append(mod.register_forward_pre_hook(hook, with_kwargs=True))
    try:
        with torch.no_grad():
            tr(**inputs(tr, self_mask=True))
    finally:
        for h in hooks:
            h.remove()
    assert seen and any(seen.values())
    saved = {n: m.processor._attention_backend for n, m in tr.named_modules() if hasattr(m, "processor")}
    try:
        applied = apply_attention_backend(
            tr, choose_attention_backend(H100_FA3, needs_self_attn_mask=True), check_requirements=False
        )
        assert set(applied) == set(seen)
        for name, got_mask in seen.items():
            if got_mask:
                assert applied[name] in MASK_CAPABLE, name
        assert FLASH3 in applied.values()  # mask-free roles still get the fast kernel
    finally:
        for n, m in tr.named_modules():
            if n in saved:
                m.processor._attention_backend = saved[n]


def _reset(tr: torch.nn.Module) -> None:
    for m in tr.modules():
        if hasattr(m, "processor") and "_attention_backend" in vars(m.processor):
            del m.processor._attention_backend  # back to the class default (None: global backend)


@pytest.mark.parametrize("self_mask", [False, True])
def test_native_choice_matches_default_outputs(tiny_components, inputs, self_mask: bool) -> None:
    tr = tiny_components.transformer
    kw = inputs(tr, self_mask=self_mask)
    _reset(tr)
    with torch.no_grad():
        ref_v, ref_a = tr(**kw)
    try:
        apply_attention_backend(tr, choose_attention_backend(CPU, needs_self_attn_mask=self_mask))
        with torch.no_grad():
            out_v, out_a = tr(**kw)
    finally:
        _reset(tr)
    torch.testing.assert_close(out_v, ref_v, rtol=0, atol=0)
    torch.testing.assert_close(out_a, ref_a, rtol=0, atol=0)


def test_unusable_backend_is_refused_before_any_change(tiny_components) -> None:
    tr = tiny_components.transformer
    if detect_device_info("cuda").has_flash_attn_3:
        pytest.skip("FA3 is installed here")
    before = [
        getattr(m.processor, "_attention_backend", None) for m in tr.modules() if hasattr(m, "processor")
    ]
    with pytest.raises(RuntimeError, match=r"[Ff]lash"):
        apply_attention_backend(tr, choose_attention_backend(H100_FA3, False))
    after = [
        getattr(m.processor, "_attention_backend", None) for m in tr.modules() if hasattr(m, "processor")
    ]
    assert before == after


def test_mask_scope_switches_only_video_self_attention(tiny_components) -> None:
    tr = tiny_components.transformer
    choice = choose_attention_backend(H100, needs_self_attn_mask=False)
    try:
        apply_attention_backend(tr, choice, check_requirements=False)
        roles = {n: n.rsplit(".", 1)[-1] for n, m in tr.named_modules() if hasattr(m, "processor")}

        def backends() -> dict[str, str]:
            return {n: m.processor._attention_backend.value for n, m in tr.named_modules() if n in roles}

        outside = backends()
        with self_attention_mask_scope(tr, choice):
            inside = backends()
        assert backends() == outside
        for name, leaf in roles.items():
            if leaf == "attn1":
                assert (outside[name], inside[name]) == (CUDNN, NATIVE)
            else:
                assert inside[name] == outside[name]
        assert choice.for_role(Role.TEXT_CROSS) == NATIVE
    finally:
        _reset(tr)
