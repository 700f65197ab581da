"""`enable_prompt_expansion`: rewrite the caller's prompt with the already-loaded Gemma 3.

Same recipe as Lightricks' ltx-core prompt enhancer, so expanded prompts read like the ones
LTX-2.3 was tuned on: upstream's text-to-video system prompt, or its image-to-video one when
the request has a first-frame image (`image_url`), shipped as package data
(`prompts/*.txt`, with attribution); user turn `user prompt: <prompt>` (t2v) or
`User Raw Input Prompt: <prompt>.` (i2v); sampling at temperature 0.7 with at most 512 new
tokens, the torch RNG seeded with the request's seed inside a forked RNG scope. The same
seed therefore gives the same expanded prompt, and the global RNG is left untouched.

For i2v the image is shown to Gemma through the Gemma 3 processor found in the Gemma folder
(image turn before the text, as upstream); without a processor the i2v system prompt is used
with text only. When the tokenizer has no chat template (the tiny test Gemma) the Gemma turn
format is written by hand (system text folded into the user turn, as Gemma's own template
does; the image placeholder is `<start_of_image>`, which the processor expands).

When generation yields nothing usable (empty, or no letters), the original prompt is used
and the job log says so.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from importlib import resources
from typing import Any

logger = logging.getLogger(__name__)

MAX_NEW_TOKENS = 512
TEMPERATURE = 0.7
_SEED_MASK = (1 << 63) - 1


@lru_cache(maxsize=2)
def system_prompt(kind: str) -> str:
    """Upstream's system prompt `t2v` or `i2v` (the attribution header is stripped)."""
    if kind not in ("t2v", "i2v"):
        raise ValueError(f"kind must be t2v or i2v, got {kind!r}")
    text = (
        resources.files("ltx_serve.engine")
        .joinpath(f"prompts/gemma_{kind}_system_prompt.txt")
        .read_text("utf-8")
    )
    return text.split("\n---\n", 1)[1] if "\n---\n" in text else text


def user_turn(prompt: str, kind: str) -> str:
    return f"user prompt: {prompt}" if kind == "t2v" else f"User Raw Input Prompt: {prompt}."


IMAGE_PLACEHOLDER = "<start_of_image>"


def chat_text(
    tokenizer: Any, prompt: str, kind: str, system: str | None = None, *, image: bool = False
) -> str:
    """The generation prompt in Gemma's chat format (`system` overrides upstream's text)."""
    system, user = system if system is not None else system_prompt(kind), user_turn(prompt, kind)
    if getattr(tokenizer, "chat_template", None):
        content: Any = [{"type": "image"}, {"type": "text", "text": user}] if image else user
        messages = [{"role": "system", "content": system}, {"role": "user", "content": content}]
        return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
    placeholder = IMAGE_PLACEHOLDER if image else ""
    return f"<start_of_turn>user\n{system}\n\n{placeholder}{user}<end_of_turn>\n<start_of_turn>model\n"


def load_processor(folder: Any) -> Any | None:
    """The Gemma 3 processor (image + text) of a Gemma folder, or None when it has none."""
    if folder is None:
        return None
    try:
        from transformers import AutoProcessor

        return AutoProcessor.from_pretrained(folder, local_files_only=True)
    except Exception as exc:  # a folder without preprocessor/processor config
        logger.info("no Gemma processor in %s (%s): i2v prompt expansion runs text-only", folder, exc)
        return None


def clean_expansion(text: str) -> str | None:
    """The expanded prompt, or None when it is unusable (empty or without any letters)."""
    cleaned = text.replace("<end_of_turn>", "").strip()
    cleaned = re.sub(r"\s+", " ", cleaned)
    if not cleaned or not re.search(r"[^\W\d_]", cleaned):
        return None
    return cleaned


def model_inputs(
    tokenizer: Any,
    prompt: str,
    kind: str,
    *,
    system: str | None = None,
    image: Any = None,
    processor: Any = None,
) -> dict[str, Any]:
    """Tokenised chat (+ `pixel_values` when an image and a processor are given)."""
    show_image = image is not None and processor is not None
    text = chat_text(tokenizer, prompt, kind, system, image=show_image)
    add_special = not text.startswith("<bos>")
    if show_image:
        from PIL import Image

        enc = processor(
            text=text, images=[Image.fromarray(image)], return_tensors="pt", add_special_tokens=add_special
        )
    else:
        enc = tokenizer(text, return_tensors="pt", add_special_tokens=add_special)
    return dict(enc)


def generate_text(
    model: Any,
    tokenizer: Any,
    prompt: str,
    *,
    seed: int,
    kind: str = "t2v",
    max_new_tokens: int = MAX_NEW_TOKENS,
    system: str | None = None,
    image: Any = None,
    processor: Any = None,
) -> str:
    """Gemma's raw continuation of the chat (special tokens removed), deterministic for `seed`.

    `image` (uint8 [H, W, 3]) is shown to the model when a `processor` is given.
    """
    import torch

    enc = model_inputs(tokenizer, prompt, kind, system=system, image=image, processor=processor)
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    inputs = {k: (v.to(device, dtype) if k == "pixel_values" else v.to(device)) for k, v in enc.items()}
    prompt_len = inputs["input_ids"].shape[1]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    devices = [device] if device.type == "cuda" else []
    with torch.inference_mode(), torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed) & _SEED_MASK)
        out = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            do_sample=True,
            temperature=TEMPERATURE,
            pad_token_id=pad_id,
        )
    return str(tokenizer.decode(out[0][prompt_len:], skip_special_tokens=True))


def expand_prompt(
    model: Any,
    tokenizer: Any,
    prompt: str,
    *,
    seed: int,
    image: Any = None,
    processor: Any = None,
    max_new_tokens: int = MAX_NEW_TOKENS,
    system: str | None = None,
) -> str | None:
    """Gemma's rewrite of `prompt` (deterministic for `seed`), or None if it produced nothing usable.

    A first-frame `image` (uint8 [H, W, 3]) selects the i2v system prompt.
    """
    kind = "i2v" if image is not None else "t2v"
    raw = generate_text(
        model,
        tokenizer,
        prompt,
        seed=seed,
        kind=kind,
        max_new_tokens=max_new_tokens,
        system=system,
        image=image,
        processor=processor,
    )
    return clean_expansion(raw)
