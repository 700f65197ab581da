"""A tiny, random LTX-2.3 weights folder in the real file formats (for CPU tests and demos).

`make_tiny(dir)` writes, under the catalog's real file names:

- `ltx-2.3-22b-dev.safetensors` / `ltx-2.3-22b-distilled-1.1.safetensors`: Lightricks
  single files (metadata `config` + `model_version`, real key prefixes), bf16 like the
  published files. The distilled file shares every tensor with dev except the transformer.
- `ltx-2.3-spatial-upscaler-x2-1.1.safetensors` (flat metadata config).
- `gemma-3-12b-it-qat-q4_0-unquantized/`: a Hugging Face folder holding a
  `Gemma3ForConditionalGeneration` that is narrow everywhere *except* the two sizes the
  LTX text path depends on: hidden size 3840 and 48 layers (49 hidden states). ltx-core's
  feature extractor hard-codes 3840x49 inputs, so keeping them lets ltx-core and our loader
  read the same `text_embedding_projection` weights (≈10 M Gemma parameters: 1 head of 8,
  MLP width 4), plus a tokenizers-backed `GemmaTokenizer` with a byte-ish vocabulary.
- LoRAs: the distilled LoRA, the IC-LoRA Union control (metadata
  `reference_downscale_factor` = 2) and the dolly-in camera LoRA, in Lightricks/PEFT keys.

Every tensor is drawn from a generator seeded by (seed, tensor name), so the same seed gives
byte-identical files regardless of the order things are built in.
"""

from __future__ import annotations

import json
import logging
import math
import zlib
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save

from ltx_serve.models import catalog, ltx_config
from ltx_serve.models.keymap import Component, to_lightricks
from ltx_serve.models.presets import TINY_CONFIG, TINY_UPSAMPLER_CONFIG
from ltx_serve.models.single_file import CONFIG_FNS, build_empty, model_classes

logger = logging.getLogger(__name__)

STORE_DTYPE = torch.bfloat16
MODEL_VERSION = "2.3.0"
TINY_LORA_RANK = 4
GEMMA_SPECIALS = (
    "<pad>",
    "<eos>",
    "<bos>",
    "<unk>",
    "<mask>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<start_of_image>",
    "<end_of_image>",
    "<image_soft_token>",
)


def _gen(seed: int, name: str) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + zlib.crc32(name.encode())) % (2**63))


def random_tensor(name: str, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """A plausible value for a parameter called `name`, deterministic in (seed, name)."""
    g = _gen(seed, name)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "learnable_registers":
        return torch.rand(shape, generator=g) * 2 - 1
    if len(shape) >= 2:
        fan_in = math.prod(shape[1:])
        if leaf == "scale_shift_table" or leaf.endswith("scale_shift_table"):
            fan_in = shape[-1]
        return torch.randn(shape, generator=g) / math.sqrt(max(fan_in, 1))
    base = torch.randn(shape, generator=g) * 0.02
    if leaf == "weight" and "norm" in name:
        return base + 1.0
    return base


def _mel_filterbank(n_mels: int, n_fft: int, sample_rate: int) -> torch.Tensor:
    """Triangular mel filters (HTK scale): what a real checkpoint's `mel_basis` holds."""
    n_freqs = n_fft // 2 + 1

    def hz_to_mel(f: torch.Tensor) -> torch.Tensor:
        return 2595.0 * torch.log10(1.0 + f / 700.0)

    mels = torch.linspace(
        float(hz_to_mel(torch.tensor(0.0))), float(hz_to_mel(torch.tensor(sample_rate / 2))), n_mels + 2
    )
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    freqs = torch.linspace(0, sample_rate / 2, n_freqs)
    lower, center, upper = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    up = (freqs[None] - lower) / (center - lower)
    down = (upper - freqs[None]) / (upper - center)
    return torch.clamp(torch.minimum(up, down), min=0.0)


def _stft_bases(n_fft: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Hann-windowed DFT bases (real rows then imaginary rows), as CausalSTFT expects."""
    n_freqs = n_fft // 2 + 1
    t = torch.arange(n_fft, dtype=torch.float64)
    k = torch.arange(n_freqs, dtype=torch.float64)[:, None]
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    angle = 2 * math.pi * k * t / n_fft
    forward = torch.cat([torch.cos(angle), -torch.sin(angle)]) * window
    inverse = torch.cat([torch.cos(angle), -torch.sin(angle)]) * window / n_fft
    return forward[:, None, :].float(), inverse[:, None, :].float()


def random_state(component: Component, config: dict[str, Any], seed: int) -> dict[str, torch.Tensor]:
    """A full diffusers state dict for `component` built from `config` (Lightricks format)."""
    cls = model_classes()[component]
    kwargs = CONFIG_FNS[component](config)
    model = build_empty(cls, kwargs)
    state: dict[str, torch.Tensor] = {}
    buffers = dict(model.named_buffers())
    for name, tensor in model.state_dict().items():
        if name in buffers and tensor.device.type != "meta":
            state[name] = tensor.detach().clone()
        else:
            state[name] = random_tensor(f"{component.value}.{name}", tuple(tensor.shape), seed)
    if component is Component.VAE:
        g = _gen(seed, f"{component.value}.stats")
        state["latents_mean"] = torch.randn(state["latents_mean"].shape, generator=g) * 0.1
        state["latents_std"] = 1.0 + torch.rand(state["latents_std"].shape, generator=g) * 0.2
    if component is Component.AUDIO_VAE:
        g = _gen(seed, f"{component.value}.stats")
        state["latents_mean"] = torch.randn(state["latents_mean"].shape, generator=g) * 0.1
        state["latents_std"] = 1.0 + torch.rand(state["latents_std"].shape, generator=g) * 0.2
    if component is Component.VOCODER:
        fwd, inv = _stft_bases(kwargs["filter_length"])
        state["mel_stft.stft_fn.forward_basis"] = fwd
        state["mel_stft.stft_fn.inverse_basis"] = inv
        state["mel_stft.mel_basis"] = _mel_filterbank(
            kwargs["num_mel_channels"], kwargs["filter_length"], kwargs["output_sampling_rate"]
        )
    return state


def _save(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """Write a .safetensors file byte-deterministically.

    safetensors serialises the metadata from a Rust HashMap, so with two or more entries the
    key order (and the file bytes) can change between runs; we re-emit the header with sorted
    keys. Offsets are explicit in the header, so the data section is untouched.
    """
    ordered = {k: tensors[k].to(STORE_DTYPE).contiguous().clone() for k in sorted(tensors)}
    raw = save(ordered, metadata=metadata)
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + n :])


def write_single_file(
    path: Path, config: dict[str, Any], seed: int, transformer_seed: int | None = None
) -> None:
    """Write a Lightricks-format single file with random weights for `config`."""
    tensors: dict[str, torch.Tensor] = {}
    for comp in Component:
        comp_seed = (
            transformer_seed if comp is Component.TRANSFORMER and transformer_seed is not None else seed
        )
        for key, value in random_state(comp, config, comp_seed).items():
            tensors[to_lightricks(comp, key, config)] = value
    _save(tensors, path, {"config": json.dumps(config), "model_version": MODEL_VERSION})


def write_upsampler(path: Path, config: dict[str, Any], seed: int) -> None:
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    model = build_empty(LTX2LatentUpsamplerModel, ltx_config.upsampler_config(config))
    buffers = dict(model.named_buffers())
    tensors = {
        k: (v.clone() if k in buffers else random_tensor(f"upsampler.{k}", tuple(v.shape), seed))
        for k, v in model.state_dict().items()
    }
    _save(tensors, path, {"config": json.dumps(config)})


def lora_targets(config: dict[str, Any], *, video_only: bool) -> dict[str, tuple[int, int]]:
    """Lightricks module paths (under `diffusion_model.`) of the block Linears -> (out, in)."""
    t = config["transformer"]
    v = t["num_attention_heads"] * t["attention_head_dim"]
    a = t["audio_num_attention_heads"] * t["audio_attention_head_dim"]
    targets: dict[str, tuple[int, int]] = {}
    for i in range(t["num_layers"]):
        for attn, (q_dim, kv_dim) in {"attn1": (v, v), "attn2": (v, t["cross_attention_dim"])}.items():
            for proj, shape in (
                ("to_q", (v, q_dim)),
                ("to_k", (v, kv_dim)),
                ("to_v", (v, kv_dim)),
                ("to_out.0", (v, v)),
            ):
                targets[f"transformer_blocks.{i}.{attn}.{proj}"] = shape
        targets[f"transformer_blocks.{i}.ff.net.0.proj"] = (4 * v, v)
        targets[f"transformer_blocks.{i}.ff.net.2"] = (v, 4 * v)
        if not video_only:
            for attn, kv_dim in (("audio_attn1", a), ("audio_attn2", t["audio_cross_attention_dim"])):
                for proj, shape in (
                    ("to_q", (a, a)),
                    ("to_k", (a, kv_dim)),
                    ("to_v", (a, kv_dim)),
                    ("to_out.0", (a, a)),
                ):
                    targets[f"transformer_blocks.{i}.{attn}.{proj}"] = shape
            targets[f"transformer_blocks.{i}.audio_ff.net.0.proj"] = (4 * a, a)
            targets[f"transformer_blocks.{i}.audio_ff.net.2"] = (a, 4 * a)
    return targets


def write_lora(
    path: Path,
    targets: dict[str, tuple[int, int]],
    seed: int,
    *,
    rank: int = TINY_LORA_RANK,
    metadata: dict[str, str] | None = None,
) -> None:
    """A Lightricks/PEFT-format LoRA (`diffusion_model.<module>.lora_A/B.weight`)."""
    tensors: dict[str, torch.Tensor] = {}
    for module, (out_f, in_f) in targets.items():
        base = f"diffusion_model.{module}"
        tensors[f"{base}.lora_A.weight"] = random_tensor(f"{path.name}.{base}.A", (rank, in_f), seed)
        tensors[f"{base}.lora_B.weight"] = random_tensor(f"{path.name}.{base}.B", (out_f, rank), seed) * 0.5
    _save(tensors, path, metadata or {})


def write_gemma(folder: Path, seed: int) -> None:
    """A tiny Gemma 3 (hidden 3840, 48 layers, otherwise minimal) + tokenizer, as a HF folder."""
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, GemmaTokenizer

    vocab = {s: i for i, s in enumerate(GEMMA_SPECIALS)}
    vocab["▁"] = len(vocab)
    for code in range(32, 127):
        for piece in (chr(code), "▁" + chr(code)):
            vocab.setdefault(piece, len(vocab))
    tokenizer = GemmaTokenizer(vocab=vocab, merges=[])
    tokenizer.padding_side = "left"
    config = Gemma3Config(
        text_config={
            "vocab_size": 256,
            "hidden_size": ltx_config.GEMMA_HIDDEN_SIZE,
            "intermediate_size": 4,
            "num_hidden_layers": ltx_config.GEMMA_NUM_HIDDEN_STATES - 1,
            "num_attention_heads": 1,
            "num_key_value_heads": 1,
            "head_dim": 8,
            "max_position_embeddings": 2048,
            "sliding_window": 512,
            "pad_token_id": vocab["<pad>"],
            "bos_token_id": vocab["<bos>"],
            "eos_token_id": vocab["<eos>"],
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 16,
            "patch_size": 4,
        },
        mm_tokens_per_image=4,
        boi_token_index=vocab["<start_of_image>"],
        eoi_token_index=vocab["<end_of_image>"],
        image_token_index=vocab["<image_soft_token>"],
    )
    with torch.device("meta"):
        model = Gemma3ForConditionalGeneration(config)
    state = {}
    for name, tensor in model.state_dict().items():
        state[name] = random_tensor(f"gemma.{name}", tuple(tensor.shape), seed)
        if name.endswith("norm.weight"):  # Gemma RMSNorm computes (1 + w)
            state[name] = state[name] - 1.0
    folder.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(folder)
    tied = {k for k in state if k.endswith("lm_head.weight")}
    _save({k: v for k, v in state.items() if k not in tied}, folder / "model.safetensors", {"format": "pt"})
    tokenizer.save_pretrained(folder)


def make_tiny(out_dir: Path | str, seed: int = 0, *, distilled: bool = True) -> Path:
    """Write the tiny LTX-2.3 set into `out_dir` (created). Returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = catalog.BY_KEY
    write_single_file(out / files["dev"].filename, TINY_CONFIG, seed)
    if distilled:
        write_single_file(out / files["distilled"].filename, TINY_CONFIG, seed, transformer_seed=seed + 7919)
    write_upsampler(out / files["spatial_upscaler"].filename, TINY_UPSAMPLER_CONFIG, seed)
    write_lora(out / files["distilled_lora"].filename, lora_targets(TINY_CONFIG, video_only=False), seed)
    write_lora(
        out / files["ic_lora_union"].filename,
        lora_targets(TINY_CONFIG, video_only=True),
        seed + 1,
        metadata={"reference_downscale_factor": "2"},
    )
    write_lora(out / files["camera_dolly_in"].filename, lora_targets(TINY_CONFIG, video_only=True), seed + 2)
    write_gemma(out / files["gemma"].filename, seed)
    logger.info("wrote the tiny LTX-2.3 set to %s", out)
    return out
