"""LoRA files -> one internal form: per target Linear, (A, B) with alpha/rank folded into B.

Accepted key layouts (all normalised, none rejected):

- Lightricks / PEFT: `diffusion_model.<module>.lora_A.weight` / `.lora_B.weight` (also with
  `model.diffusion_model.`, `transformer.` or `base_model.model.` prefixes, PEFT's
  `.lora_A.default.weight`, and diffusers module names instead of Lightricks ones);
- alpha-scaled: the same plus `<module>.alpha` (scalar): B is multiplied by alpha / rank;
- kohya: `lora_unet_<module with dots as underscores>.lora_down.weight` / `.lora_up.weight`
  (+ `.alpha`), resolved against the real module names (underscores are ambiguous).

Targets are named in diffusers terms: (`transformer` | `connectors`, module path). ltx-core
reads no alpha (W += strength·B·A); a file without alpha keys therefore gets scale 1 here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open

from ltx_serve.models.errors import LoraFormatError
from ltx_serve.models.keymap import connector_module_to_diffusers, transformer_module_to_diffusers

_PREFIXES = ("base_model.model.", "model.diffusion_model.", "diffusion_model.", "transformer.", "model.")
_CONNECTOR_HEADS = (
    "video_embeddings_connector.",
    "audio_embeddings_connector.",
    "video_connector.",
    "audio_connector.",
    "text_embedding_projection.",
    "connectors.",
    "video_text_proj_in",
    "audio_text_proj_in",
)
_SUFFIX = re.compile(
    r"^(?P<module>.+?)\.(?:(?P<peft>lora_[AB])(?:\.default)?\.weight|(?P<kohya>lora_(?:down|up))\.weight|(?P<alpha>alpha))$"
)


@dataclass(frozen=True)
class LoraTarget:
    component: str  # "transformer" | "connectors"
    module: str  # diffusers module path, e.g. "transformer_blocks.0.attn1.to_q"


@dataclass(frozen=True)
class LoraWeights:
    """A parsed LoRA: per target, `down` [rank, in] and `up` [out, rank] with alpha/rank folded in."""

    name: str
    pairs: dict[LoraTarget, tuple[torch.Tensor, torch.Tensor]]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes + b.nbytes for a, b in self.pairs.values())

    @property
    def reference_downscale_factor(self) -> int | None:
        """IC-LoRA reference scale (Union control: 2), from the file metadata."""
        raw = self.metadata.get("reference_downscale_factor")
        return int(float(raw)) if raw else None

    @property
    def rank(self) -> int:
        return max((a.shape[0] for a, _ in self.pairs.values()), default=0)


def _strip_prefix(module: str) -> str:
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if module.startswith(p):
                module, changed = module[len(p) :], True
    return module


def _to_target(module: str) -> LoraTarget:
    module = _strip_prefix(module)
    if module.startswith(_CONNECTOR_HEADS):
        module = module.removeprefix("connectors.").removeprefix("text_embedding_projection.")
        return LoraTarget("connectors", connector_module_to_diffusers(module))
    return LoraTarget("transformer", transformer_module_to_diffusers(module))


def kohya_table(module_names: Iterable[tuple[str, str]]) -> dict[str, LoraTarget]:
    """`lora_unet_` names -> targets, from the real (component, diffusers module) names.

    Both the diffusers spelling and the Lightricks spelling (what kohya trainers saw) of each
    module are entered, underscores for dots.
    """
    from ltx_serve.models.keymap import _CONNECTOR_SEGMENTS, _TRANSFORMER_SEGMENTS, _inverse, _rename

    table: dict[str, LoraTarget] = {}
    for component, name in module_names:
        inv = _inverse(_TRANSFORMER_SEGMENTS if component == "transformer" else _CONNECTOR_SEGMENTS)
        for spelling in (name, _rename(name, inv)):
            table[spelling.replace(".", "_")] = LoraTarget(component, name)
    return table


def parse_lora_state(
    name: str,
    tensors: dict[str, torch.Tensor],
    metadata: dict[str, str] | None = None,
    *,
    kohya_names: dict[str, LoraTarget] | None = None,
) -> LoraWeights:
    """Normalise a LoRA state dict (any supported layout) into `LoraWeights`."""
    downs: dict[LoraTarget, torch.Tensor] = {}
    ups: dict[LoraTarget, torch.Tensor] = {}
    alphas: dict[LoraTarget, float] = {}
    unknown: list[str] = []
    for key, value in tensors.items():
        m = _SUFFIX.match(key)
        if m is None:
            unknown.append(key)
            continue
        module = m["module"]
        if module.startswith(("lora_unet_", "lora_te_")):
            if module.startswith("lora_te_"):
                continue  # text-encoder LoRAs: Gemma is not adapted in LTX-2.3
            stem = module[len("lora_unet_") :]
            if kohya_names is None or stem not in kohya_names:
                raise LoraFormatError(
                    f"{name}: kohya key {key!r} matches no module of the LTX-2.3 transformer"
                )
            target = kohya_names[stem]
        else:
            target = _to_target(module)
        kind = m["peft"] or m["kohya"] or "alpha"
        if kind in ("lora_A", "lora_down"):
            downs[target] = value
        elif kind in ("lora_B", "lora_up"):
            ups[target] = value
        else:
            alphas[target] = float(value.float().reshape(-1)[0])
    if unknown:
        raise LoraFormatError(
            f"{name}: {len(unknown)} keys are not LoRA weights in any supported layout (PEFT lora_A/lora_B, "
            f"kohya lora_down/lora_up, .alpha), e.g. {unknown[:3]}"
        )
    if set(downs) != set(ups):
        odd = sorted(str(t) for t in set(downs) ^ set(ups))
        raise LoraFormatError(f"{name}: LoRA down/up weights are not paired for {odd[:3]}")
    if not downs:
        raise LoraFormatError(f"{name}: the file holds no LoRA weights")
    pairs: dict[LoraTarget, tuple[torch.Tensor, torch.Tensor]] = {}
    for target, down in downs.items():
        up = ups[target]
        if down.ndim != 2 or up.ndim != 2 or up.shape[1] != down.shape[0]:
            raise LoraFormatError(
                f"{name}: {target.module}: ranks differ (down {tuple(down.shape)}, up {tuple(up.shape)})"
            )
        if target in alphas:
            up = up * (alphas[target] / down.shape[0])
        pairs[target] = (down, up)
    return LoraWeights(name=name, pairs=pairs, metadata=dict(metadata or {}))


def read_lora(
    path: Path | str,
    name: str | None = None,
    *,
    kohya_names: dict[str, LoraTarget] | None = None,
    dtype: torch.dtype | None = None,
) -> LoraWeights:
    """Read a `.safetensors` LoRA from disk and normalise it."""
    path = Path(path)
    if not path.is_file():
        raise LoraFormatError(f"LoRA file not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:
        raise LoraFormatError(f"{path} is not a readable .safetensors LoRA: {exc}") from exc
    if dtype is not None:
        tensors = {k: v.to(dtype) if v.is_floating_point() else v for k, v in tensors.items()}
    return parse_lora_state(name or path.name, tensors, meta, kohya_names=kohya_names)
