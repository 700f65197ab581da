"""Load a Lightricks single-file LTX-2.3 checkpoint into diffusers modules.

Cost model: a 46 GB file must not be read twice or held twice. Each module is built with
its parameters on the `meta` device (buffers real: they are small and some are not in the
file), then every tensor is read from the memory-mapped file (`safe_open`) straight onto the
target device in the target dtype and *assigned* (`load_state_dict(assign=True)`), so the
only full copy is the final one. On the CPU with the file's dtype (bf16) there is no copy
at all: parameters alias the private (copy-on-write) mapping, so pages are read on first
use and in-place edits (fused LoRAs) never reach the file. `benchmarks/load_checkpoint.py`
measures it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import init_empty_weights
from safetensors import safe_open

from ltx_serve.models import ltx_config
from ltx_serve.models.errors import CheckpointFormatError
from ltx_serve.models.keymap import Component, to_diffusers

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckpointInfo:
    """What the file's metadata says about itself."""

    path: Path
    config: dict[str, Any]
    metadata: dict[str, str]

    @property
    def model_version(self) -> str | None:
        return self.metadata.get("model_version")


def read_metadata(path: Path) -> CheckpointInfo:
    """Read the safetensors header only (no tensor data)."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointFormatError(f"{path} is not a readable .safetensors file: {exc}") from exc
    raw = meta.get("config")
    if raw is None:
        raise CheckpointFormatError(
            f"{path} has no 'config' in its safetensors metadata; expected a Lightricks LTX-2.3 file "
            "such as ltx-2.3-22b-dev.safetensors (diffusers-format folders are loaded as folders)"
        )
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CheckpointFormatError(f"{path}: metadata 'config' is not valid JSON: {exc}") from exc
    return CheckpointInfo(path=path, config=config, metadata=meta)


def model_classes() -> dict[Component, Any]:
    """diffusers classes per component (imported lazily: diffusers' import is slow)."""
    from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

    return {
        Component.TRANSFORMER: LTX2VideoTransformer3DModel,
        Component.CONNECTORS: LTX2TextConnectors,
        Component.VAE: AutoencoderKLLTX2Video,
        Component.AUDIO_VAE: AutoencoderKLLTX2Audio,
        Component.VOCODER: LTX2VocoderWithBWE,
    }


CONFIG_FNS = {
    Component.TRANSFORMER: ltx_config.transformer_config,
    Component.CONNECTORS: ltx_config.connectors_config,
    Component.VAE: ltx_config.video_vae_config,
    Component.AUDIO_VAE: ltx_config.audio_vae_config,
    Component.VOCODER: ltx_config.vocoder_config,
}


def diffusers_config(component: Component, config: dict[str, Any]) -> dict[str, Any]:
    return CONFIG_FNS[component](config)


def build_empty(cls: Any, kwargs: dict[str, Any]) -> torch.nn.Module:
    """Instantiate with parameters on `meta` and real (CPU) buffers; no weight memory used."""
    with init_empty_weights(include_buffers=False):
        model = cls(**kwargs)
    return model


def build_on_meta(cls: Any, kwargs: dict[str, Any]) -> torch.nn.Module:
    """Everything on `meta`: for shape checks of full-size models."""
    with torch.device("meta"):
        return cls(**kwargs)


def _cast(t: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    if dtype is None or not t.is_floating_point() or t.dtype == dtype:
        return t
    return t.to(dtype)


# Official FP8 checkpoints store per-tensor scaled float8 Linear weights (`W = W8 * weight_scale`)
# plus activation scales for TensorRT-LLM's scaled matmul, which diffusers has no use for.
_FP8_SCALE_SUFFIXES = (".weight_scale", ".input_scale")


def assign_state_dict(
    model: torch.nn.Module, state: dict[str, torch.Tensor], *, what: str, source: Path | str
) -> torch.nn.Module:
    """Strictly check names and shapes, then assign tensors (no copy) into `model`."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointFormatError(
            f"{source}: the {what} weights do not match the architecture in the file's config: "
            f"{len(missing)} missing (e.g. {missing[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]})"
        )
    bad = [
        (k, tuple(v.shape), tuple(expected[k].shape))
        for k, v in state.items()
        if v.shape != expected[k].shape
    ]
    if bad:
        raise CheckpointFormatError(f"{source}: {what} tensor shapes differ from the config, e.g. {bad[:3]}")
    model.load_state_dict(state, strict=True, assign=True)
    return model


def _finish(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    # Buffers built at construction (filters, RoPE tables, non-persistent constants) follow
    # the weights' device; their dtype is left as the module made it, as ltx-core does.
    for mod in model.modules():
        for name, buf in list(mod._buffers.items()):
            if buf is not None and buf.device != device:
                mod._buffers[name] = buf.to(device=device)
    model.eval()
    model.requires_grad_(False)
    return model


def load_components(
    path: Path,
    components: Iterable[Component] = tuple(Component),
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype | None = torch.bfloat16,
    info: CheckpointInfo | None = None,
    fp8_storage: bool = False,
) -> tuple[dict[Component, torch.nn.Module], CheckpointInfo]:
    """Build the requested components from one single-file checkpoint.

    Tensors are read one at a time from the memory map onto `device`, cast to `dtype`
    (floating tensors only; None keeps the file's dtype), and assigned into meta modules.

    fp8 checkpoints: with `fp8_storage` (the memory plan stores weights in fp8) each float8
    Linear weight is kept exactly as stored, with its `.weight_scale` (1 when the file has
    none), through `attach_scaled_fp8`; otherwise it is dequantised once to `dtype`. Either
    way the weights computed with are `W8 * scale` rounded once: never requantised.
    """
    from ltx_serve.accel.fp8 import FP8_TORCH_DTYPES, dequantize, fp8_source, inspect_fp8_checkpoint

    info = info or read_metadata(path)
    wanted = set(components)
    device = torch.device(device)
    classes = model_classes()
    states: dict[Component, dict[str, torch.Tensor]] = {c: {} for c in wanted}
    keep_fp8 = fp8_storage and fp8_source("float8_e4m3fn", inspect_fp8_checkpoint(path)) == "fp8_checkpoint"
    stored_fp8: dict[Component, dict[str, torch.Tensor]] = {c: {} for c in wanted}  # module -> scale
    t0 = time.perf_counter()
    load_device = "cpu" if device.type == "meta" else str(device)
    with safe_open(str(path), framework="pt", device=load_device) as f:
        keys = set(f.keys())
        for key in sorted(keys):
            if key.endswith(_FP8_SCALE_SUFFIXES):
                continue
            mapped = to_diffusers(key, info.config)
            if mapped is None or mapped[0] not in wanted:
                continue
            comp, new_key = mapped
            tensor = f.get_tensor(key)
            scale_key = key.removesuffix(".weight") + ".weight_scale"
            if tensor.dtype in FP8_TORCH_DTYPES and key.endswith(".weight"):
                scale = f.get_tensor(scale_key) if scale_key in keys else torch.ones((), device=tensor.device)
                if keep_fp8:
                    stored_fp8[comp][new_key.removesuffix(".weight")] = scale
                    states[comp][new_key] = tensor  # as stored; `attach_scaled_fp8` below
                    continue
                tensor = dequantize(tensor, scale, dtype or torch.bfloat16)
            states[comp][new_key] = _cast(tensor, dtype)
    models: dict[Component, torch.nn.Module] = {}
    for comp in sorted(wanted, key=list(Component).index):
        model = build_empty(classes[comp], diffusers_config(comp, info.config))
        assign_state_dict(model, states.pop(comp), what=comp.value, source=path)
        _attach_stored_fp8(model, stored_fp8.pop(comp), dtype or torch.bfloat16)
        models[comp] = _finish(model, device)
    logger.info(
        "loaded %s from %s in %.1fs (%s, %s)",
        ", ".join(c.value for c in models),
        Path(path).name,
        time.perf_counter() - t0,
        device,
        dtype,
    )
    return models, info


def _attach_stored_fp8(model: torch.nn.Module, scales: dict[str, torch.Tensor], dtype: torch.dtype) -> None:
    """Give each Linear loaded with an fp8 weight its scale and the dequantising forward."""
    from ltx_serve.accel.fp8 import attach_scaled_fp8, dequantize

    for name, scale in scales.items():
        module = model.get_submodule(name)
        if isinstance(module, torch.nn.Linear):
            attach_scaled_fp8(module, module.weight.data, scale, dtype)
        else:  # fp8 outside a Linear (not in official files): no fp8 forward for it, dequantise
            weight = dequantize(module.weight.data, scale, dtype)
            module.weight = torch.nn.Parameter(weight, requires_grad=False)
    if scales:
        logger.info("kept %d fp8 weights as stored (scaled, computed in %s)", len(scales), dtype)


def load_upsampler(
    path: Path, *, device: torch.device | str = "cpu", dtype: torch.dtype | None = torch.bfloat16
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """The spatial upscaler file: flat `config` in the metadata, keys without prefix."""
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    info = read_metadata(path)
    device = torch.device(device)
    with safe_open(str(path), framework="pt", device=str(device)) as f:
        state = {k: _cast(f.get_tensor(k), dtype) for k in f.keys()}  # noqa: SIM118
    model = build_empty(LTX2LatentUpsamplerModel, ltx_config.upsampler_config(info.config))
    assign_state_dict(model, state, what="spatial upscaler", source=path)
    return _finish(model, device), info.config
