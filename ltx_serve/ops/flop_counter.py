"""Count the DiT FLOPs a job really ran, by watching the transformer's forward calls.

Why: an MFU computed from the request alone has to guess how many passes the guidance ran
(CFG, STG, modality isolation), how many reference or keyframe tokens were appended and
whether a second stage ran. Hooking the transformer records each call's batch (the guidance
passes, batched by the sampler), video, audio and text token counts, and prices it with the
analytic per-forward formula of `ltx_serve.ops.flops` (documented in docs/operations.md), so
the FLOPs match what executed. The dimensions come from the loaded transformer's config: the
22B checkpoint gives `flops.LTX_23`, the tiny preset its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import torch

from ltx_serve.ops.flops import Architecture, arch_from_config, token_flops
from ltx_serve.pipelines.timing import current_stage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForwardCall:
    """One transformer call: `batch` samples (guidance passes) of these token counts."""

    stage: str | None
    batch: int
    video_tokens: int
    audio_tokens: int
    text_tokens: int
    flops: float


def call_flops(
    arch: Architecture, batch: int, video_tokens: int, audio_tokens: int, text_tokens: int
) -> float:
    """FLOPs of one call: batch x the per-forward formula at these token counts."""
    at_text = replace(arch, text_tokens=text_tokens)
    return batch * token_flops(video_tokens, audio_tokens, at_text).total


def _tokens(kwargs: Mapping[str, Any], name: str) -> tuple[int, int]:
    """(batch, sequence length) of a [B, L, C] keyword argument; (0, 0) when absent."""
    value = kwargs.get(name)
    if not isinstance(value, torch.Tensor) or value.ndim < 2:
        return 0, 0
    return int(value.shape[0]), int(value.shape[1])


class FlopCounter:
    """Context manager: while open, every forward of `transformer` is recorded in `calls`."""

    def __init__(self, transformer: torch.nn.Module, arch: Architecture | None = None) -> None:
        self.transformer = transformer
        self.arch = arch if arch is not None else arch_from_config(transformer.config)
        self.calls: list[ForwardCall] = []
        self._handle: Any = None

    def _record(self, _module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        batch, n = _tokens(kwargs, "hidden_states")
        if not batch and args and isinstance(args[0], torch.Tensor):
            batch, n = int(args[0].shape[0]), int(args[0].shape[1])
        _, na = _tokens(kwargs, "audio_hidden_states")
        _, t = _tokens(kwargs, "encoder_hidden_states")
        if not batch:
            logger.warning("transformer call without hidden_states: not counted")
            return
        flops = call_flops(self.arch, batch, n, na, t)
        self.calls.append(ForwardCall(current_stage(), batch, n, na, t, flops))

    def __enter__(self) -> FlopCounter:
        self._handle = self.transformer.register_forward_pre_hook(self._record, with_kwargs=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    @property
    def total(self) -> float:
        return sum(c.flops for c in self.calls)

    def by_stage(self) -> dict[str, dict[str, Any]]:
        """Per stage: calls, samples (calls x batch), token counts seen and TFLOP, for the JSON line."""
        out: dict[str, dict[str, Any]] = {}
        for c in self.calls:
            s = out.setdefault(
                c.stage or "unlabelled",
                {
                    "calls": 0,
                    "samples": 0,
                    "video_tokens": c.video_tokens,
                    "audio_tokens": c.audio_tokens,
                    "text_tokens": c.text_tokens,
                    "tflop": 0.0,
                },
            )
            s["calls"] += 1
            s["samples"] += c.batch
            s["tflop"] += c.flops / 1e12
        return out
