"""User LoRAs of the `/lora` endpoint: SSRF-safe download, content-hash cache, branch filter.

* Download: through the job's `ctx.fetch` (the SSRF-safe fetcher: private addresses refused,
  redirects re-checked) with a 3 GB cap per file (fal: "Max size: 3 GB per LoRA"); an error
  names `loras.<i>.path`.
* Cache: the file is hashed (SHA-256) and kept as `<cache_dir>/<sha256>.safetensors`; the
  registry name is `user-<branch>-<sha256[:24]>`, so a LoRA sent again (from any URL) is
  parsed and validated once and then served from the registry's LRU.
* `transformer`: `both` keeps every target; `video` drops the audio branch's modules
  (`audio_*` blocks, `video_to_audio_attn`, the audio connector); `audio` keeps only those.
  Cross-modal attention counts for the stream it updates (`audio_to_video_attn` is video).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from ltx_serve.engine.recipes import UserLora
from ltx_serve.errors import FieldError

logger = logging.getLogger(__name__)

MAX_LORA_BYTES = 3 * 1024**3
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_audio_module(component: str, module: str) -> bool:
    """True for modules of the audio branch (diffusers LTX2 names).

    Cross-modal attention belongs to the stream it updates: `video_to_audio_attn` (queries
    from audio) is audio, `audio_to_video_attn` (queries from video) is video.
    """
    parts = module.split(".")
    return any(
        p == "video_to_audio_attn" or (p.startswith("audio") and p != "audio_to_video_attn") for p in parts
    )


def filter_branch(weights: Any, branch: str, name: str) -> Any:
    """A copy of parsed LoRA weights restricted to `branch` (video/audio/both)."""
    if branch == "both":
        return replace(weights, name=name)
    keep_audio = branch == "audio"
    pairs = {t: ab for t, ab in weights.pairs.items() if is_audio_module(t.component, t.module) == keep_audio}
    return replace(weights, name=name, pairs=pairs)


def cache_file(path: Path, cache_dir: Path) -> tuple[Path, str]:
    """Copy a downloaded file into the content-addressed cache; returns (cached path, sha256)."""
    digest = sha256_file(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{digest}.safetensors"
    if not target.exists():
        tmp = target.with_suffix(".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return target, digest


def write_lora(weights: Any, path: Path) -> None:
    """Save parsed LoRA weights as a PEFT-style file (`<component>.<module>.lora_A/B.weight`).

    Alpha is already folded into `up`, so the file needs none; the registry reads it back to the
    same targets. Writing the branch-filtered copy to disk (instead of only priming the registry's
    LRU) keeps the filter when the LRU evicts it and the registry re-reads the file.
    """
    from safetensors.torch import save_file

    tensors = {}
    for target, (down, up) in weights.pairs.items():
        key = f"{target.component}.{target.module}"
        tensors[f"{key}.lora_A.weight"] = down.contiguous()
        tensors[f"{key}.lora_B.weight"] = up.contiguous()
    tmp = path.with_suffix(".part")
    save_file(tensors, str(tmp), metadata=dict(weights.metadata))
    tmp.replace(path)


def prepare_user_loras(
    loras: tuple[UserLora, ...], ctx: Any, registry: Any, cache_dir: Path
) -> dict[str, str]:
    """Download, cache, filter and register each user LoRA; returns recipe name -> registry name."""
    from ltx_serve.models.errors import LoraFormatError

    names: dict[str, str] = {}
    for index, lora in enumerate(loras):
        field = ("loras", index, "path")
        local = ctx.fetch(lora.url, "loras", max_bytes=MAX_LORA_BYTES)
        cached, digest = cache_file(Path(local), cache_dir)
        full_name = f"user-both-{digest[:24]}"
        reg_name = f"user-{lora.transformer}-{digest[:24]}"
        try:
            if full_name not in registry.known_loras:
                registry.register_lora(full_name, cached)
            full = registry.lora(full_name)  # parsed + validated against the model, then LRU-cached
            if reg_name not in registry.known_loras:
                filtered = filter_branch(full, lora.transformer, reg_name)
                if not filtered.pairs:
                    raise LoraFormatError(f"it has no weights for the {lora.transformer!r} branch")
                path = cache_dir / f"{digest}-{lora.transformer}.safetensors"
                if not path.exists():
                    write_lora(filtered, path)
                registry.register_lora(reg_name, path)
            registry.lora(reg_name)
        except LoraFormatError as exc:
            raise FieldError(field, f"LoRA {index} cannot be used: {exc}", input_value=lora.url) from exc
        ctx.log(f"LoRA {index}: sha256 {digest[:12]}, scale {lora.scale}, transformer {lora.transformer}")
        names[lora.name] = reg_name
    return names
