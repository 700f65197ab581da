"""Lightricks single-file key names <-> diffusers 0.42.1 LTX2 module names, both directions.

The file holds every component under one prefix each. The renames were derived by building
ltx-core 1.0.0's modules and diffusers' modules from the same config and pairing their
state-dict keys (tests/models/test_keymap.py re-checks that pairing, and the parity tests
check the numbers). Most names map segment by segment; the video VAE needs the block list
from the config because ltx-core numbers every res/compress block while diffusers groups
them into stages.

The inverse direction exists so `tiny.py` can write a real-format file from diffusers
modules, and so LoRA keys can be mapped without a checkpoint at hand.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ltx_serve.models.errors import CheckpointFormatError


class Component(StrEnum):
    TRANSFORMER = "transformer"
    CONNECTORS = "connectors"
    VAE = "vae"
    AUDIO_VAE = "audio_vae"
    VOCODER = "vocoder"


TRANSFORMER_PREFIX = "model.diffusion_model."
TEXT_PROJ_PREFIX = "text_embedding_projection."
_CONNECTOR_PARTS = ("video_embeddings_connector.", "audio_embeddings_connector.")

# Whole-segment renames. Each table must be a bijection with no target that is also a
# source name elsewhere in the same component, so the inverse is unambiguous.
_TRANSFORMER_SEGMENTS = {
    "patchify_proj": "proj_in",
    "audio_patchify_proj": "audio_proj_in",
    "adaln_single": "time_embed",
    "audio_adaln_single": "audio_time_embed",
    "prompt_adaln_single": "prompt_adaln",
    "audio_prompt_adaln_single": "audio_prompt_adaln",
    "av_ca_video_scale_shift_adaln_single": "av_cross_attn_video_scale_shift",
    "av_ca_a2v_gate_adaln_single": "av_cross_attn_video_a2v_gate",
    "av_ca_audio_scale_shift_adaln_single": "av_cross_attn_audio_scale_shift",
    "av_ca_v2a_gate_adaln_single": "av_cross_attn_audio_v2a_gate",
    "scale_shift_table_a2v_ca_video": "video_a2v_cross_attn_scale_shift_table",
    "scale_shift_table_a2v_ca_audio": "audio_a2v_cross_attn_scale_shift_table",
    "q_norm": "norm_q",
    "k_norm": "norm_k",
}
_CONNECTOR_SEGMENTS = {
    "video_embeddings_connector": "video_connector",
    "audio_embeddings_connector": "audio_connector",
    "transformer_1d_blocks": "transformer_blocks",
    "video_aggregate_embed": "video_text_proj_in",
    "audio_aggregate_embed": "audio_text_proj_in",
    "q_norm": "norm_q",
    "k_norm": "norm_k",
}
_VOCODER_SEGMENTS = {
    "conv_pre": "conv_in",
    "conv_post": "conv_out",
    "act_post": "act_out",
    "resblocks": "resnets",
    "ups": "upsamplers",
}
_STATS = {
    "per_channel_statistics.mean-of-means": "latents_mean",
    "per_channel_statistics.std-of-means": "latents_std",
}
# Statistics some files carry that no model reads.
_UNUSED_STATS = ("per_channel_statistics.channel", "per_channel_statistics.mean-of-stds")


def _rename(key: str, table: dict[str, str]) -> str:
    return ".".join(table.get(part, part) for part in key.split("."))


def _inverse(table: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in table.items()}


def component_of(file_key: str) -> Component | None:
    """Which component a key of a Lightricks single file belongs to (None: not a model weight)."""
    if file_key.startswith(TRANSFORMER_PREFIX):
        rest = file_key[len(TRANSFORMER_PREFIX) :]
        return Component.CONNECTORS if rest.startswith(_CONNECTOR_PARTS) else Component.TRANSFORMER
    if file_key.startswith(TEXT_PROJ_PREFIX):
        return Component.CONNECTORS
    for comp, prefix in (
        (Component.VAE, "vae."),
        (Component.AUDIO_VAE, "audio_vae."),
        (Component.VOCODER, "vocoder."),
    ):
        if file_key.startswith(prefix):
            return comp
    return None


# --- video VAE: per-block index maps built from the config ----------------------------------


def _vae_block_maps(vae_cfg: dict[str, Any]) -> tuple[dict[int, str], dict[int, str]]:
    """ltx-core block index -> diffusers module prefix, for encoder and decoder."""
    enc: dict[int, str] = {}
    stage = 0
    blocks = vae_cfg.get("encoder_blocks", [])
    for i, entry in enumerate(blocks):
        name = entry[0]
        if name == "res_x":
            is_last = all(b[0] == "res_x" for b in blocks[i + 1 :])
            enc[i] = "mid_block" if is_last else f"down_blocks.{stage}"
        else:
            enc[i] = f"down_blocks.{stage}.downsamplers.0"
            stage += 1
    dec: dict[int, str] = {}
    stage = -1
    for i, entry in enumerate(reversed(vae_cfg.get("decoder_blocks", []))):
        if entry[0] == "res_x":
            dec[i] = "mid_block" if stage < 0 else f"up_blocks.{stage}"
        else:
            stage += 1
            dec[i] = f"up_blocks.{stage}.upsamplers.0"
    return enc, dec


def _vae_to_diffusers(key: str, vae_cfg: dict[str, Any]) -> str | None:
    if key in _STATS:
        return _STATS[key]
    if key.startswith(_UNUSED_STATS):
        return None
    side, _, rest = key.partition(".")
    enc, dec = _vae_block_maps(vae_cfg)
    table = enc if side == "encoder" else dec
    block_list = "down_blocks." if side == "encoder" else "up_blocks."
    if rest.startswith(block_list):
        idx_str, _, tail = rest[len(block_list) :].partition(".")
        idx = int(idx_str)
        if idx not in table:
            raise CheckpointFormatError(f"VAE key {key!r} names block {idx}, which the config does not have")
        tail = tail.replace("res_blocks.", "resnets.", 1) if tail.startswith("res_blocks.") else tail
        return f"{side}.{table[idx]}.{tail}"
    return key


def _vae_to_lightricks(key: str, vae_cfg: dict[str, Any]) -> str:
    inv = _inverse(_STATS)
    if key in inv:
        return inv[key]
    side, _, rest = key.partition(".")
    enc, dec = _vae_block_maps(vae_cfg)
    table = enc if side == "encoder" else dec
    block_list = "down_blocks." if side == "encoder" else "up_blocks."
    # Longest prefix first: "down_blocks.0.downsamplers.0" before "down_blocks.0".
    for idx, prefix in sorted(table.items(), key=lambda kv: -len(kv[1])):
        if rest.startswith(prefix + "."):
            tail = rest[len(prefix) + 1 :]
            tail = tail.replace("resnets.", "res_blocks.", 1) if tail.startswith("resnets.") else tail
            return f"{side}.{block_list}{idx}.{tail}"
    return key


# --- public API -------------------------------------------------------------------------------


def to_diffusers(file_key: str, config: dict[str, Any]) -> tuple[Component, str] | None:
    """Map one single-file key to (component, diffusers key); None for keys no model reads."""
    comp = component_of(file_key)
    if comp is None:
        return None
    if comp is Component.TRANSFORMER:
        return comp, _rename(file_key[len(TRANSFORMER_PREFIX) :], _TRANSFORMER_SEGMENTS)
    if comp is Component.CONNECTORS:
        rest = file_key.removeprefix(TRANSFORMER_PREFIX).removeprefix(TEXT_PROJ_PREFIX)
        return comp, _rename(rest, _CONNECTOR_SEGMENTS)
    if comp is Component.VAE:
        new = _vae_to_diffusers(file_key[len("vae.") :], config.get("vae", {}))
        return None if new is None else (comp, new)
    if comp is Component.AUDIO_VAE:
        rest = file_key[len("audio_vae.") :]
        if rest.startswith(_UNUSED_STATS):
            return None
        return comp, _STATS.get(rest, rest)
    rest = file_key[len("vocoder.") :]  # strip exactly one prefix: vocoder.vocoder.* is the inner generator
    return comp, _rename(rest, _VOCODER_SEGMENTS).replace(".lowpass.filter", ".filter")


def to_lightricks(component: Component, key: str, config: dict[str, Any]) -> str:
    """Map a diffusers state-dict key of `component` to its single-file key (inverse of `to_diffusers`)."""
    if component is Component.TRANSFORMER:
        return TRANSFORMER_PREFIX + _rename(key, _inverse(_TRANSFORMER_SEGMENTS))
    if component is Component.CONNECTORS:
        renamed = _rename(key, _inverse(_CONNECTOR_SEGMENTS))
        if renamed.startswith(("video_aggregate_embed.", "audio_aggregate_embed.")):
            return TEXT_PROJ_PREFIX + renamed
        return TRANSFORMER_PREFIX + renamed
    if component is Component.VAE:
        return "vae." + _vae_to_lightricks(key, config.get("vae", {}))
    if component is Component.AUDIO_VAE:
        return "audio_vae." + _inverse(_STATS).get(key, key)
    renamed = _rename(key, _inverse(_VOCODER_SEGMENTS))
    if renamed.endswith("downsample.filter"):
        renamed = renamed[: -len("filter")] + "lowpass.filter"
    return "vocoder." + renamed


def transformer_module_to_diffusers(module: str) -> str:
    """Rename a module path inside the Lightricks transformer (no prefix) to diffusers'."""
    return _rename(module, _TRANSFORMER_SEGMENTS)


def connector_module_to_diffusers(module: str) -> str:
    """Rename a connector module path (`video_embeddings_connector.…` / `…aggregate_embed`)."""
    return _rename(module, _CONNECTOR_SEGMENTS)
