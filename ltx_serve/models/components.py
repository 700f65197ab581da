"""`load_components`: every model the LTX-2.3 sampler needs, loaded from a weights folder.

The sampler (`ltx_serve.pipelines`) only sees `LTXComponents`: diffusers 0.42.1 LTX2 modules
plus transformers' Gemma 3, whatever format they came from:

1. a Lightricks single file (`ltx-2.3-22b-dev.safetensors`, `…-distilled[-1.1]…`), converted
   by our own key/config mapping (`single_file.py`), or
2. a diffusers-format folder (`diffusers/LTX-2.3-Diffusers` layout) via `from_pretrained`.

Gemma 3 and the spatial upscaler are separate files in both cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from ltx_serve.models import layout, ltx_config
from ltx_serve.models.errors import CheckpointFormatError
from ltx_serve.models.keymap import Component
from ltx_serve.models.single_file import load_components as load_single_file
from ltx_serve.models.single_file import load_upsampler

logger = logging.getLogger(__name__)

Variant = Literal["dev", "distilled"]


@dataclass
class LTXComponents:
    """The resident model set. Modules are in eval mode with gradients off."""

    transformer: Any  # diffusers LTX2VideoTransformer3DModel
    connectors: Any  # diffusers LTX2TextConnectors
    vae: Any  # diffusers AutoencoderKLLTX2Video
    audio_vae: Any  # diffusers AutoencoderKLLTX2Audio
    vocoder: Any  # diffusers LTX2VocoderWithBWE
    text_encoder: Any | None  # transformers Gemma3ForConditionalGeneration
    tokenizer: Any | None  # transformers GemmaTokenizer(Fast), left padding
    upsampler: Any | None  # diffusers LTX2LatentUpsamplerModel
    variant: Variant
    device: torch.device
    dtype: torch.dtype
    # Lightricks checkpoint config (metadata `config`) when loaded from a single file; for a
    # diffusers folder, the transformer's diffusers config.
    config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    checkpoint_path: Path | None = None
    upsampler_config: dict[str, Any] = field(default_factory=dict)
    weights_dir: Path | None = None
    # `accel.offload.TextEncoderOffloader` for Gemma under an "offload" memory plan (set by
    # `memory_plan.apply_plan`; `memory_plan.text_encoder_ready` uses it).
    text_encoder_offloader: Any | None = None

    @property
    def audio_sample_rate(self) -> int:
        return int(self.vocoder.config.output_sampling_rate)

    def modules(self) -> dict[str, torch.nn.Module]:
        names = ("transformer", "connectors", "vae", "audio_vae", "vocoder", "text_encoder", "upsampler")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def load_text_encoder(
    weights_dir: Path | None, *, device: torch.device | str = "cpu", dtype: torch.dtype = torch.bfloat16
) -> tuple[Any, Any]:
    """Gemma 3 (`Gemma3ForConditionalGeneration`) + tokenizer from a local HF folder, offline."""
    from transformers import AutoTokenizer, Gemma3ForConditionalGeneration

    folder = layout.require("gemma", weights_dir)
    model = Gemma3ForConditionalGeneration.from_pretrained(
        folder, local_files_only=True, dtype=dtype, device_map=str(torch.device(device))
    )
    text_cfg = model.config.text_config
    if (text_cfg.hidden_size, text_cfg.num_hidden_layers + 1) != (
        ltx_config.GEMMA_HIDDEN_SIZE,
        ltx_config.GEMMA_NUM_HIDDEN_STATES,
    ):
        raise CheckpointFormatError(
            f"{folder}: Gemma has hidden size {text_cfg.hidden_size} and "
            f"{text_cfg.num_hidden_layers} layers; LTX-2.3's text projection needs Gemma 3 12B "
            "(3840, 48): use google/gemma-3-12b-it-qat-q4_0-unquantized"
        )
    model.eval().requires_grad_(False)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    tokenizer.padding_side = "left"
    return model, tokenizer


def _load_diffusers_folder(root: Path, device: torch.device, dtype: torch.dtype) -> dict[str, Any]:
    from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

    classes = {
        "transformer": LTX2VideoTransformer3DModel,
        "connectors": LTX2TextConnectors,
        "vae": AutoencoderKLLTX2Video,
        "audio_vae": AutoencoderKLLTX2Audio,
        "vocoder": LTX2VocoderWithBWE,
    }
    out: dict[str, Any] = {}
    for name, cls in classes.items():
        if not (root / name).is_dir():
            raise CheckpointFormatError(
                f"{root} looks like a diffusers folder but has no '{name}/' subfolder"
            )
        model = cls.from_pretrained(root, subfolder=name, local_files_only=True, torch_dtype=dtype)
        out[name] = model.to(device).eval().requires_grad_(False)
    return out


def load_components(
    weights_dir: Path | str | None,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.bfloat16,
    variant: Variant = "dev",
    text_encoder: bool = True,
    text_encoder_device: torch.device | str | None = None,
    upsampler: bool = True,
    checkpoint: Path | str | None = None,
    fp8_storage: bool = False,
) -> LTXComponents:
    """Load the LTX-2.3 model set.

    `variant` picks the single file (`dev` or `distilled`); `checkpoint` overrides the file.
    A diffusers-format folder is used when no Lightricks single file is found. Gemma can be
    skipped (`text_encoder=False`, e.g. when prompts are pre-encoded) or put on another
    device (`text_encoder_device`, e.g. "cpu" when it does not fit beside the transformer).
    `fp8_storage` (an fp8 memory plan) keeps an fp8 single file's weights as stored.
    """
    wdir = Path(weights_dir) if weights_dir is not None else None
    device = torch.device(device)
    key = "dev" if variant == "dev" else "distilled"
    ckpt = Path(checkpoint) if checkpoint is not None else layout.find(layout.BY_KEY[key], wdir)
    config: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    te_root = wdir
    if ckpt is not None:
        models, info = load_single_file(
            ckpt, tuple(Component), device=device, dtype=dtype, fp8_storage=fp8_storage
        )
        mods = {c.value: m for c, m in models.items()}
        config, metadata = info.config, info.metadata
    else:
        folder = layout.find_diffusers_folder(wdir, distilled=variant == "distilled")
        if folder is None:
            layout.require(key, wdir)  # raises with the download hint
            raise AssertionError("unreachable")
        mods = _load_diffusers_folder(folder, device, dtype)
        config = dict(mods["transformer"].config)
        if (folder / "text_encoder").is_dir() and layout.find(layout.BY_KEY["gemma"], wdir) is None:
            te_root = folder  # use the folder's own text_encoder/ + tokenizer/
    te = tok = None
    if text_encoder:
        te, tok = _load_text_encoder_any(te_root, text_encoder_device or device, dtype)
    up = None
    up_cfg: dict[str, Any] = {}
    if upsampler:
        up_path = layout.find(layout.BY_KEY["spatial_upscaler"], wdir)
        if up_path is None:
            logger.warning(
                "no spatial upscaler found in %s: two-stage (multiscale) sampling is unavailable", wdir
            )
        else:
            up, up_cfg = load_upsampler(up_path, device=device, dtype=dtype)
    return LTXComponents(
        transformer=mods["transformer"],
        connectors=mods["connectors"],
        vae=mods["vae"],
        audio_vae=mods["audio_vae"],
        vocoder=mods["vocoder"],
        text_encoder=te,
        tokenizer=tok,
        upsampler=up,
        variant=variant,
        device=device,
        dtype=dtype,
        config=config,
        metadata=metadata,
        checkpoint_path=ckpt,
        upsampler_config=up_cfg,
        weights_dir=wdir,
    )


def _load_text_encoder_any(
    wdir: Path | None, device: torch.device | str, dtype: torch.dtype
) -> tuple[Any, Any]:
    """Gemma from the catalog folder, or from a diffusers folder's text_encoder/ + tokenizer/."""
    if wdir is not None and (wdir / "model_index.json").is_file() and (wdir / "text_encoder").is_dir():
        from transformers import AutoTokenizer, Gemma3ForConditionalGeneration

        model = Gemma3ForConditionalGeneration.from_pretrained(
            wdir,
            subfolder="text_encoder",
            local_files_only=True,
            dtype=dtype,
            device_map=str(torch.device(device)),
        )
        tok = AutoTokenizer.from_pretrained(wdir, subfolder="tokenizer", local_files_only=True)
        tok.padding_side = "left"
        return model.eval().requires_grad_(False), tok
    return load_text_encoder(wdir, device=device, dtype=dtype)


def load_for_plan(
    weights_dir: Path | str | None,
    plan: Any,
    *,
    device: torch.device | str = "cuda",
    variant: Variant = "dev",
    upsampler: bool = True,
) -> LTXComponents:
    """Load in bf16 and lay the models out as `plan` (a `memory_plan.MemoryPlan`) says.

    Plans that shrink the transformer (fp8, group offload) load on the CPU first, so the GPU
    never holds the full bf16 transformer; Gemma stays on the CPU unless the plan keeps it on
    the GPU (use `memory_plan.text_encoder_ready` around prompt encoding). Under an fp8 plan an
    fp8 checkpoint's weights are kept as stored, not dequantised and cast again.
    """
    from ltx_serve.models.memory_plan import apply_plan

    staged = plan.weights_dtype != "bfloat16" or plan.transformer != "gpu"
    comps = load_components(
        weights_dir,
        device="cpu" if staged else device,
        dtype=torch.bfloat16,
        variant=variant,
        text_encoder_device=device if plan.text_encoder == "gpu" and not staged else "cpu",
        upsampler=upsampler,
        fp8_storage=plan.weights_dtype == "float8_e4m3fn",
    )
    apply_plan(comps, plan, device)
    return comps
