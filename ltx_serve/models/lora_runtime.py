"""Apply and remove LoRAs on resident modules, per request and per pass, without drift.

Two modes, same API (`set([(lora, scale), ...])`):

- `unfused` (default): a forward hook on each targeted Linear adds
  `scale * (x @ down.T) @ up.T`. Base weights are never written, so they stay bit-identical;
  changing a scale is a dict update. Costs two thin matmuls per targeted Linear per call.
- `fused`: W = W0 + sum(scale * up @ down), computed in float32 and cast once. The original
  W0 of every touched layer is kept (on `backup_device`, default host memory, pinned when the
  model is on a GPU) and copied back on removal, so the base is restored bit-exactly however
  many times LoRAs come and go. Faster sampling (and friendlier to torch.compile, which would
  re-trace on every change of the hook state); a strength change re-fuses, from W0, only the
  layers whose LoRA mix changed, which for the 384-rank distilled LoRA means moving ~36 GB
  host->GPU: about 1.5-3 s per change on PCIe 4/5 (estimate, not measured here).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from ltx_serve.models.errors import LoraFormatError
from ltx_serve.models.lora import LoraTarget, LoraWeights

logger = logging.getLogger(__name__)

LoraMode = Literal["unfused", "fused"]
_FP8 = (torch.float8_e4m3fn, torch.float8_e5m2)


def _compute_dtype(weight_dtype: torch.dtype) -> torch.dtype:
    """Adapters run in the layer's compute dtype; fp8-stored layers compute in bf16."""
    return torch.bfloat16 if weight_dtype in _FP8 else weight_dtype


def _backup(weight: torch.Tensor, device: torch.device | None) -> torch.Tensor:
    """A copy of the original weight; on a GPU it goes to pinned host memory by default
    (the distilled LoRA touches ~36 GB of bf16 weights: a second GPU copy would not fit)."""
    if device is None:
        device = torch.device("cpu")
    copy = weight.detach().to(device, copy=True)
    if copy.device.type == "cpu" and weight.device.type == "cuda":
        copy = copy.pin_memory()
    return copy


Mix = tuple[tuple[str, float], ...]


class LoraRuntime:
    def __init__(
        self,
        components: dict[str, nn.Module],
        mode: LoraMode = "unfused",
        backup_device: torch.device | str | None = None,
    ) -> None:
        self.components = components
        self.mode: LoraMode = mode
        self.backup_device = torch.device(backup_device) if backup_device is not None else None
        self._mix: dict[LoraTarget, Mix] = {}
        self._terms: dict[LoraTarget, list[tuple[torch.Tensor, torch.Tensor, float]]] = {}
        self._hooks: dict[LoraTarget, torch.utils.hooks.RemovableHandle] = {}
        self._backups: dict[LoraTarget, torch.Tensor] = {}
        self._device_cache: dict[tuple[str, LoraTarget], tuple[torch.Tensor, torch.Tensor]] = {}

    # -- helpers ---------------------------------------------------------------------------------

    def linear(self, target: LoraTarget) -> nn.Linear:
        root = self.components.get(target.component)
        if root is None:
            raise LoraFormatError(f"LoRA targets the {target.component}, which is not loaded")
        try:
            mod = root.get_submodule(target.module)
        except AttributeError as exc:
            raise LoraFormatError(
                f"LoRA targets {target.component}.{target.module}, which LTX-2.3 does not have "
                "(a LoRA trained for another model?)"
            ) from exc
        if not isinstance(mod, nn.Linear):
            raise LoraFormatError(
                f"LoRA targets {target.module}, which is a {type(mod).__name__}, not a Linear"
            )
        return mod

    def _on_device(
        self, lora: LoraWeights, target: LoraTarget, like: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        key = (lora.name, target)
        cached = self._device_cache.get(key)
        if cached is None or cached[0].device != like.device:
            down, up = lora.pairs[target]
            dtype = torch.float32 if self.mode == "fused" else _compute_dtype(like.dtype)
            cached = (down.to(like.device, dtype), up.to(like.device, dtype))
            self._device_cache[key] = cached
        return cached

    @staticmethod
    def _hook(runtime: LoraRuntime, target: LoraTarget):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor:
            x = args[0]
            terms = runtime._terms.get(target, [])
            if terms and terms[0][0].device != x.device:  # group offload moved the layer: follow it once
                terms = [(d.to(x.device), u.to(x.device), s) for d, u, s in terms]
                runtime._terms[target] = terms
            for down, up, scale in terms:
                output = output + scale * ((x.to(down.dtype) @ down.T) @ up.T).to(output.dtype)
            return output

        return hook

    # -- public ----------------------------------------------------------------------------------

    @property
    def touched(self) -> int:
        return len(self._mix)

    def validate(self, lora: LoraWeights) -> None:
        """Fail before touching anything if a LoRA does not fit the loaded modules."""
        for target, (down, up) in lora.pairs.items():
            lin = self.linear(target)
            if (up.shape[0], down.shape[1]) != tuple(lin.weight.shape):
                raise LoraFormatError(
                    f"{lora.name}: {target.module} has weight {tuple(lin.weight.shape)} but the LoRA "
                    f"gives {(up.shape[0], down.shape[1])} (trained for a different model size?)"
                )

    def set(self, loras: Sequence[tuple[LoraWeights, float]]) -> None:
        """Make exactly these LoRAs active at these scales (empty: base model)."""
        wanted: dict[LoraTarget, list[tuple[LoraWeights, float]]] = {}
        for lora, scale in loras:
            if scale == 0:
                continue
            for target in lora.pairs:
                wanted.setdefault(target, []).append((lora, float(scale)))
        new_mix = {t: tuple((lw.name, s) for lw, s in items) for t, items in wanted.items()}
        changed = {t for t in set(new_mix) | set(self._mix) if new_mix.get(t) != self._mix.get(t)}
        for target in changed:
            items = wanted.get(target, [])
            lin = self.linear(target)
            if self.mode == "fused":
                self._fuse(target, lin, items)
            else:
                self._set_hook(target, lin, items)
        self._mix = new_mix
        active = {lw.name for lw, s in loras if s != 0}
        self._device_cache = {k: v for k, v in self._device_cache.items() if k[0] in active}
        logger.debug("LoRA mix set on %d layers (%d changed)", len(new_mix), len(changed))

    def _set_hook(self, target: LoraTarget, lin: nn.Linear, items: list[tuple[LoraWeights, float]]) -> None:
        if not items:
            self._terms.pop(target, None)
            handle = self._hooks.pop(target, None)
            if handle is not None:
                handle.remove()
            return
        self._terms[target] = [(*self._on_device(lw, target, lin.weight), s) for lw, s in items]
        if target not in self._hooks:
            self._hooks[target] = lin.register_forward_hook(self._hook(self, target))

    @torch.no_grad()
    def _fuse(self, target: LoraTarget, lin: nn.Linear, items: list[tuple[LoraWeights, float]]) -> None:
        w = lin.weight
        if target not in self._backups:
            if not items:
                return
            self._backups[target] = _backup(w, self.backup_device)
        base = self._backups[target]
        if not items:
            w.copy_(base)  # exact restore: the saved bits, not W - delta
            del self._backups[target]
            return
        # Scaled fp8 Linears (official FP8 checkpoints) store W / weight_scale: fuse in real
        # units, then store back in the layer's own units (clamped to the fp8 range).
        w_scale = getattr(lin, "weight_scale", None)
        acc = base.to(w.device, torch.float32, non_blocking=True)
        if w_scale is not None:
            acc = acc * w_scale.float()
        for lw, scale in items:
            down, up = self._on_device(lw, target, w)
            acc = acc + (up * scale) @ down
        if w_scale is not None:
            acc = acc / w_scale.float()
        if w.dtype in (torch.float8_e4m3fn, torch.float8_e5m2):
            limit = torch.finfo(w.dtype).max
            acc = acc.clamp(-limit, limit)
        w.copy_(acc.to(w.dtype))
