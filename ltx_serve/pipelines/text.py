"""Prompt encoding: Gemma 3 hidden states -> LTX-2.3 text connectors -> video/audio contexts.

As upstream: the tokenizer pads on the LEFT to a fixed length (1024 in production), every
hidden state (embeddings + all layers) is stacked and flattened per token, and the connectors
(per-token RMS norm, per-modality projections, gated 1-D transformer) produce the video and
audio cross-attention contexts plus the mask. Gemma runs once per prompt string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class PromptEmbeddings:
    """Connector outputs for one prompt: what the transformer cross-attends to."""

    video: torch.Tensor  # [1, L, Dv]
    audio: torch.Tensor  # [1, L, Da]
    mask: torch.Tensor  # [1, L]


@torch.no_grad()
def gemma_hidden_states(
    text_encoder: torch.nn.Module, tokenizer: object, prompt: str | list[str], max_length: int = 1024
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stacked hidden states [B, L, H * (layers + 1)] and the token mask [B, L]."""
    prompts = [prompt] if isinstance(prompt, str) else prompt
    tokenizer.padding_side = "left"
    if getattr(tokenizer, "pad_token", None) is None:
        tokenizer.pad_token = tokenizer.eos_token
    enc = tokenizer(  # type: ignore[operator]
        [p.strip() for p in prompts],
        padding="max_length",
        max_length=max_length,
        truncation=True,
        add_special_tokens=True,
        return_tensors="pt",
    )
    device = next(text_encoder.parameters()).device
    ids, mask = enc.input_ids.to(device), enc.attention_mask.to(device)
    out = text_encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    stacked = torch.stack(out.hidden_states, dim=-1).flatten(2, 3)
    return stacked, mask


@torch.no_grad()
def connect(connectors: torch.nn.Module, hidden: torch.Tensor, mask: torch.Tensor) -> PromptEmbeddings:
    param = next(connectors.parameters())  # Gemma may live on another device (e.g. CPU offload)
    video, audio, out_mask = connectors(
        hidden.to(param.device, param.dtype), mask.to(param.device), padding_side="left"
    )
    return PromptEmbeddings(video=video, audio=audio, mask=out_mask)


def encode_prompts(components: Any, prompts: list[str], max_length: int = 1024) -> list[PromptEmbeddings]:
    """Gemma + connectors for several prompts in one batch (e.g. positive and negative)."""
    if not prompts:
        return []
    hidden, mask = gemma_hidden_states(
        components.text_encoder,
        components.tokenizer,
        prompts,
        max_length,
    )
    out = connect(components.connectors, hidden, mask)
    return [
        PromptEmbeddings(video=out.video[i : i + 1], audio=out.audio[i : i + 1], mask=out.mask[i : i + 1])
        for i in range(len(prompts))
    ]


def encode_prompt(components: Any, prompt: str, max_length: int = 1024) -> PromptEmbeddings:
    """Run Gemma + connectors for one prompt (components: `text_encoder`, `tokenizer`, `connectors`)."""
    return encode_prompts(components, [prompt], max_length)[0]
