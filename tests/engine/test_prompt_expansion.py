"""Prompt expansion: upstream's system prompts, Gemma chat format, seeded determinism, fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ltx_serve.engine import prompt_expansion as pe


def test_system_prompts_are_upstreams_without_attribution_header() -> None:
    t2v, i2v = pe.system_prompt("t2v"), pe.system_prompt("i2v")
    assert t2v.startswith("You are a Creative Assistant. Given a user's raw input prompt")
    assert i2v.startswith(
        "You are a Creative Assistant writing concise, action-focused image-to-video prompts"
    )
    assert "Lightricks" not in t2v.splitlines()[0]
    with pytest.raises(ValueError):
        pe.system_prompt("v2v")


def test_chat_text_uses_gemma_turns_and_upstream_user_turns() -> None:
    class NoTemplate:
        chat_template = None

    text = pe.chat_text(NoTemplate(), "a cat", "t2v")
    assert text.startswith("<start_of_turn>user\nYou are a Creative Assistant")
    assert text.endswith("user prompt: a cat<end_of_turn>\n<start_of_turn>model\n")
    assert "User Raw Input Prompt: a cat." in pe.chat_text(NoTemplate(), "a cat", "i2v")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  A cat   walks.\n", "A cat walks."),
        ("", None),
        ("   ", None),
        ('""""""', None),
        ("0000", None),
        ("<end_of_turn>", None),
    ],
)
def test_clean_expansion(raw: str, expected: str | None) -> None:
    assert pe.clean_expansion(raw) == expected


# A 2-layer Gemma 3 language model: fast on CPU, with the tiny set's real tokenizer.
SMALL_GEMMA_TEXT = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 16,
    "max_position_embeddings": 8192,
}


@pytest.fixture(scope="module")
def small_gemma(tiny_weights: Path):
    """A 2-layer Gemma 3 language model with the tiny set's real tokenizer (fast on CPU)."""
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    tok = AutoTokenizer.from_pretrained(
        tiny_weights / "gemma-3-12b-it-qat-q4_0-unquantized", local_files_only=True
    )
    config = Gemma3TextConfig(
        **SMALL_GEMMA_TEXT,
        vocab_size=len(tok),
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
    )
    torch.manual_seed(0)
    return Gemma3ForCausalLM(config).eval(), tok


def test_generation_is_deterministic_for_a_seed(small_gemma) -> None:
    model, tok = small_gemma
    state = torch.random.get_rng_state()
    a = pe.generate_text(model, tok, "a cat on a roof", seed=11, max_new_tokens=24)
    b = pe.generate_text(model, tok, "a cat on a roof", seed=11, max_new_tokens=24)
    c = pe.generate_text(model, tok, "a cat on a roof", seed=12, max_new_tokens=24)
    assert a == b
    assert a != c
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG is left alone


def test_expand_prompt_returns_none_when_the_model_says_nothing(small_gemma) -> None:
    """A Gemma whose output head always picks <eos>: the engine then keeps the original prompt."""
    import copy

    model, tok = small_gemma
    silent = copy.deepcopy(model)
    head = torch.nn.Linear(silent.config.hidden_size, silent.config.vocab_size, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-10.0)
        head.bias[tok.eos_token_id] = 10.0
    silent.lm_head = head
    assert pe.expand_prompt(silent, tok, "a cat", seed=1, max_new_tokens=8) is None


SPECIAL = {
    "boi_token": "<start_of_image>",
    "eoi_token": "<end_of_image>",
    "image_token": "<image_soft_token>",
}


@pytest.fixture(scope="module")
def small_vlm(tiny_weights: Path):
    """A small Gemma 3 vision-language model + a Gemma3Processor over the tiny set's tokenizer."""
    from transformers import (
        AutoTokenizer,
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3ImageProcessorPil,
        Gemma3Processor,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    folder = tiny_weights / "gemma-3-12b-it-qat-q4_0-unquantized"
    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True, extra_special_tokens=SPECIAL)
    text = Gemma3TextConfig(**SMALL_GEMMA_TEXT, vocab_size=len(tok))
    vision = SiglipVisionConfig(
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=16,
        patch_size=4,
    )
    vocab = tok.get_vocab()
    config = Gemma3Config(
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=4,
        boi_token_index=vocab["<start_of_image>"],
        eoi_token_index=vocab["<end_of_image>"],
        image_token_index=vocab["<image_soft_token>"],
    )
    torch.manual_seed(0)
    model = Gemma3ForConditionalGeneration(config).eval()
    with torch.no_grad():  # the projector starts at zero (images invisible): give it random weights
        for param in model.model.multi_modal_projector.parameters():
            param.normal_(0.0, 1.0)
    processor = Gemma3Processor(
        image_processor=Gemma3ImageProcessorPil(size={"height": 16, "width": 16}),
        tokenizer=tok,
        image_seq_length=4,
    )
    return model, tok, processor


def test_i2v_expansion_gives_gemma_the_image(small_vlm) -> None:
    import numpy as np

    model, tok, processor = small_vlm
    red = np.zeros((24, 32, 3), np.uint8)
    red[..., 0] = 255
    inputs = pe.model_inputs(tok, "a cat", "i2v", image=red, processor=processor)
    ids = inputs["input_ids"][0].tolist()
    vocab = tok.get_vocab()
    assert ids.count(vocab["<image_soft_token>"]) == 4  # the image's soft tokens are in the prompt
    assert inputs["pixel_values"].shape == (1, 3, 16, 16)
    assert "pixel_values" not in pe.model_inputs(tok, "a cat", "i2v", image=red, processor=None)
    first = pe.generate_text(
        model, tok, "a cat", seed=5, kind="i2v", max_new_tokens=8, image=red, processor=processor
    )
    again = pe.generate_text(
        model, tok, "a cat", seed=5, kind="i2v", max_new_tokens=8, image=red, processor=processor
    )
    assert first == again
    assert "<start_of_image>User Raw Input Prompt: a cat." in pe.chat_text(tok, "a cat", "i2v", image=True)


@pytest.mark.slow
def test_engine_reports_the_expanded_prompt(engine, small_vlm, make_ctx) -> None:
    """The engine's expansion step: expanded text when enabled (and logged), original when off."""
    import dataclasses

    import numpy as np

    from ltx_serve.schemas.audio_to_video import AudioToVideoInput

    model, tok, processor = small_vlm
    original, original_processor = engine.components, engine.processor
    engine.components = dataclasses.replace(original, text_encoder=model, tokenizer=tok)
    engine.processor = processor
    try:
        request = AudioToVideoInput(prompt="a cat", audio_url="https://example.com/a.wav", seed=3)
        ctx = make_ctx()
        image = np.zeros((24, 32, 3), np.uint8)
        expanded = engine._prompt(request, image, 3, ctx)
        assert expanded == engine._prompt(request, image, 3, make_ctx())  # deterministic for the seed
        expected = pe.expand_prompt(
            model,
            tok,
            "a cat",
            seed=3,
            image=image,
            processor=processor,
            max_new_tokens=engine.expansion_max_tokens,  # the tiny preset's 16
        )
        assert engine.expansion_max_tokens == 16
        assert expanded == (expected or "a cat")
        assert any("expanded prompt" in m or "nothing usable" in m for _, m in ctx.logs)
        off = request.model_copy(update={"enable_prompt_expansion": False})
        assert engine._prompt(off, image, 3, make_ctx()) == "a cat"
    finally:
        engine.components, engine.processor = original, original_processor
