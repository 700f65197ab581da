"""Lightricks checkpoint config (safetensors metadata) -> diffusers 0.42.1 constructor configs.

A Lightricks single-file checkpoint carries its architecture as JSON in the safetensors
metadata (`config` with sub-dicts `transformer`, `vae`, `audio_vae`, `vocoder`). diffusers'
`from_single_file` maps every LTX-2.x file onto the 2.0 architecture, so for 2.3 we derive
the diffusers constructor arguments ourselves, from the same fields ltx-core's
configurators read (`ltx_core/model/*/model_configurator.py`), with ltx-core's fallbacks
for absent keys so both implementations build the same architecture from one file.

Everything here is pure dict arithmetic: no torch, so it is cheap to unit-test and reuse.
"""

from __future__ import annotations

from typing import Any

from ltx_serve.models.errors import CheckpointFormatError

# ltx-core hard-codes Gemma 3 12B's geometry for the text feature extractor
# (`GEMMA3_CONFIG_FOR_LTX`): hidden 3840, 48 layers + the embedding layer = 49 states.
GEMMA_HIDDEN_SIZE = 3840
GEMMA_NUM_HIDDEN_STATES = 49
# ltx-core's Embeddings1DConnector always builds 128 learnable registers.
CONNECTOR_NUM_REGISTERS = 128

_V2_TEXT_KEYS = (
    "caption_proj_before_connector",
    "caption_projection_first_linear",
    "caption_proj_input_norm",
    "caption_projection_second_linear",
)


def _t(config: dict[str, Any]) -> dict[str, Any]:
    return config.get("transformer", {})


def is_ltx23_text_path(config: dict[str, Any]) -> bool:
    """True when the checkpoint uses the 2.3 (V2) text feature extractor: per-modality projections."""
    tcfg = _t(config)
    return tcfg.get("caption_proj_before_connector", False) is True


def transformer_config(config: dict[str, Any]) -> dict[str, Any]:
    """diffusers `LTX2VideoTransformer3DModel` kwargs for the checkpoint's `transformer` section."""
    t = _t(config)
    if not t:
        raise CheckpointFormatError("checkpoint metadata has no 'transformer' config section")
    audio = config.get("audio_vae", {})
    audio_params = audio.get("model", {}).get("params", {})
    stft = audio.get("preprocessing", {}).get("stft", {})
    max_pos = list(t.get("positional_embedding_max_pos", [20, 2048, 2048]))
    audio_max_pos = list(t.get("audio_positional_embedding_max_pos", [20]))
    gated = bool(t.get("apply_gated_attention", False))
    adaln = bool(t.get("cross_attention_adaln", False))
    return {
        "in_channels": t.get("in_channels", 128),
        "out_channels": t.get("out_channels", 128),
        "patch_size": 1,
        "patch_size_t": 1,
        "num_attention_heads": t.get("num_attention_heads", 32),
        "attention_head_dim": t.get("attention_head_dim", 128),
        "cross_attention_dim": t.get("cross_attention_dim", 4096),
        "vae_scale_factors": (8, 32, 32),
        "pos_embed_max_pos": max_pos[0],
        "base_height": max_pos[1],
        "base_width": max_pos[2],
        "gated_attn": gated,
        "cross_attn_mod": adaln,
        "audio_in_channels": t.get("audio_in_channels", 128),
        "audio_out_channels": t.get("audio_out_channels", 128),
        "audio_patch_size": 1,
        "audio_patch_size_t": 1,
        "audio_num_attention_heads": t.get("audio_num_attention_heads", 32),
        "audio_attention_head_dim": t.get("audio_attention_head_dim", 64),
        "audio_cross_attention_dim": t.get("audio_cross_attention_dim", 2048),
        "audio_scale_factor": 4,
        "audio_pos_embed_max_pos": audio_max_pos[0],
        "audio_sampling_rate": audio_params.get("sampling_rate", 16000),
        "audio_hop_length": stft.get("hop_length", 160),
        "audio_gated_attn": gated,
        "audio_cross_attn_mod": adaln,
        "num_layers": t.get("num_layers", 48),
        "activation_fn": "gelu-approximate",
        "qk_norm": "rms_norm_across_heads",
        "norm_elementwise_affine": False,
        "norm_eps": t.get("norm_eps", 1e-6),
        "caption_channels": t.get("caption_channels", GEMMA_HIDDEN_SIZE),
        "attention_bias": True,
        "attention_out_bias": True,
        "rope_theta": float(t.get("positional_embedding_theta", 10000.0)),
        "rope_double_precision": t.get("frequencies_precision", False) == "float64",
        "causal_offset": 1,
        "timestep_scale_multiplier": t.get("timestep_scale_multiplier", 1000),
        # ltx-core's fallback is 1; 2.3 files say 1000.
        "cross_attn_timestep_scale_multiplier": t.get("av_ca_timestep_scale_multiplier", 1),
        "rope_type": t.get("rope_type", "interleaved"),
        "use_prompt_embeddings": not is_ltx23_text_path(config),
        # Only selects the STG-capable attention processor; no weights depend on it.
        "perturbed_attn": True,
        "use_prompt_adaln_single": adaln,
    }


def connectors_config(config: dict[str, Any]) -> dict[str, Any]:
    """diffusers `LTX2TextConnectors` kwargs (text projections + video/audio 1-D connectors)."""
    t = _t(config)
    if not is_ltx23_text_path(config):
        raise CheckpointFormatError(
            "this checkpoint uses the LTX-2.0 text path (no 'caption_proj_before_connector'); "
            "ltx-serve supports LTX-2.3 checkpoints only — use ltx-2.3-22b-dev/distilled.safetensors"
        )
    for key in _V2_TEXT_KEYS[1:]:
        if t.get(key, False):
            raise CheckpointFormatError(
                f"unsupported text-projection flag {key}={t[key]!r} in checkpoint config"
            )
    heads = t.get("connector_num_attention_heads", 30)
    head_dim = t.get("connector_attention_head_dim", 128)
    layers = t.get("connector_num_layers", 2)
    return {
        "caption_channels": GEMMA_HIDDEN_SIZE,
        "text_proj_in_factor": GEMMA_NUM_HIDDEN_STATES,
        "video_connector_num_attention_heads": heads,
        "video_connector_attention_head_dim": head_dim,
        "video_connector_num_layers": layers,
        "video_connector_num_learnable_registers": CONNECTOR_NUM_REGISTERS,
        "video_gated_attn": bool(t.get("connector_apply_gated_attention", False)),
        "audio_connector_num_attention_heads": t.get("audio_connector_num_attention_heads", heads),
        "audio_connector_attention_head_dim": t.get("audio_connector_attention_head_dim", head_dim),
        "audio_connector_num_layers": t.get("audio_connector_num_layers", layers),
        "audio_connector_num_learnable_registers": CONNECTOR_NUM_REGISTERS,
        "audio_gated_attn": bool(t.get("connector_apply_gated_attention", False)),
        "connector_rope_base_seq_len": next(iter(t.get("connector_positional_embedding_max_pos", [1]))),
        "rope_theta": float(t.get("positional_embedding_theta", 10000.0)),
        "rope_double_precision": t.get("frequencies_precision", False) == "float64",
        "causal_temporal_positioning": False,
        "rope_type": t.get("rope_type", "interleaved"),
        "per_modality_projections": True,
        "video_hidden_dim": t.get("num_attention_heads", 32) * t.get("attention_head_dim", 128),
        "audio_hidden_dim": t.get("audio_num_attention_heads", 32) * t.get("audio_attention_head_dim", 64),
        "proj_bias": True,
    }


_DOWN_KIND = {
    "compress_space_res": "spatial",
    "compress_time_res": "temporal",
    "compress_all_res": "spatiotemporal",
}
_UP_KIND = {"compress_space": "spatial", "compress_time": "temporal", "compress_all": "spatiotemporal"}


def _block(entry: Any) -> tuple[str, dict[str, Any]]:
    name, params = entry[0], entry[1]
    if isinstance(params, int):  # old files write ["res_x", 4]
        params = {"num_layers": params}
    return str(name), dict(params)


def _segments(blocks: list[Any], kinds: dict[str, str], side: str) -> tuple[list[tuple[int, str, dict]], int]:
    """Split an alternating res_x / compress block list into (layers, kind, params) + trailing layers."""
    segments: list[tuple[int, str, dict]] = []
    pending = 0
    seen_res = False
    for entry in blocks:
        name, params = _block(entry)
        if name == "res_x":
            if seen_res:
                raise CheckpointFormatError(f"VAE {side} has two consecutive res_x blocks; not expressible")
            pending, seen_res = int(params["num_layers"]), True
        elif name in kinds:
            segments.append((pending, kinds[name], params))
            pending, seen_res = 0, False
        else:
            raise CheckpointFormatError(f"VAE {side} block {name!r} is not an LTX-2.3 block; cannot convert")
    return segments, pending


def video_vae_config(config: dict[str, Any]) -> dict[str, Any]:
    """diffusers `AutoencoderKLLTX2Video` kwargs from the Lightricks block lists.

    Encoder: `[res_x n, compress_*_res xm]*` + `res_x` → one diffusers down block per pair
    (resnets then downsampler) + the mid block. Decoder blocks are listed in encoder order in
    the file; ltx-core walks them reversed from `decoder_base_channels * 8` channels, each
    `compress_*` dividing the width by its multiplier.
    """
    v = config.get("vae", {})
    if not v:
        raise CheckpointFormatError("checkpoint metadata has no 'vae' config section")
    latent = v.get("latent_channels", 128)
    enc, enc_mid = _segments(v.get("encoder_blocks", []), _DOWN_KIND, "encoder")
    channels, block_out, down_type, layers = latent, [], [], []
    for n, kind, params in enc:
        channels = channels * int(params.get("multiplier", 2))
        block_out.append(channels)
        down_type.append(kind)
        layers.append(n)
    dec, dec_last = _segments(v.get("decoder_blocks", []), _UP_KIND, "decoder")
    if len(dec) != len(enc):
        raise CheckpointFormatError("VAE decoder and encoder have different numbers of stages")
    dec_layers = [n for n, _, _ in dec] + [dec_last]  # encoder order
    factors = [int(p.get("multiplier", 1)) for _, _, p in dec]  # encoder order
    residual = [bool(p.get("residual", False)) for _, _, p in dec]
    channels = int(v.get("decoder_base_channels", 128)) * 8
    dec_out_rev = []
    for _, _, p in reversed(dec):
        dec_out_rev.append(channels)
        channels //= int(p.get("multiplier", 1))
    inject = [False] * (len(dec) + 1)
    return {
        "in_channels": v.get("in_channels", 3),
        "out_channels": v.get("out_channels", 3),
        "latent_channels": latent,
        "block_out_channels": tuple(block_out),
        "down_block_types": ("LTX2VideoDownBlock3D",) * len(block_out),
        "decoder_block_out_channels": tuple(reversed(dec_out_rev)),
        "layers_per_block": (*layers, enc_mid),
        "decoder_layers_per_block": tuple(dec_layers),
        "spatio_temporal_scaling": (True,) * len(block_out),
        "decoder_spatio_temporal_scaling": (True,) * len(dec),
        "decoder_inject_noise": tuple(inject),
        "downsample_type": tuple(down_type),
        "upsample_type": tuple(kind for _, kind, _ in reversed(dec)),
        "upsample_residual": tuple(residual),
        "upsample_factor": tuple(factors),
        "timestep_conditioning": bool(v.get("timestep_conditioning", True)),
        "patch_size": v.get("patch_size", 4),
        "patch_size_t": 1,
        "resnet_norm_eps": 1e-6,
        "scaling_factor": 1.0,
        "encoder_causal": True,
        "decoder_causal": bool(v.get("causal_decoder", False)),
        # ltx-core: the encoder falls back to "zeros", the decoder to "reflect".
        "encoder_spatial_padding_mode": v.get("spatial_padding_mode", "zeros"),
        "decoder_spatial_padding_mode": v.get("spatial_padding_mode", "reflect"),
        "spatial_compression_ratio": 32,
        "temporal_compression_ratio": 8,
    }


def audio_vae_config(config: dict[str, Any]) -> dict[str, Any]:
    """diffusers `AutoencoderKLLTX2Audio` kwargs from the nested `audio_vae` section."""
    a = config.get("audio_vae", {})
    if not a:
        raise CheckpointFormatError("checkpoint metadata has no 'audio_vae' config section")
    params = a.get("model", {}).get("params", {})
    dd = params.get("ddconfig", {})
    pre = a.get("preprocessing", {})
    mel_bins = (
        dd.get("mel_bins")
        or pre.get("mel", {}).get("n_mel_channels")
        or a.get("variables", {}).get("mel_bins")
    )
    attn = dd.get("attn_resolutions", [])
    return {
        "base_channels": dd.get("ch", 128),
        "output_channels": dd.get("out_ch", 2),
        "ch_mult": tuple(dd.get("ch_mult", (1, 2, 4))),
        "num_res_blocks": dd.get("num_res_blocks", 2),
        "attn_resolutions": tuple(attn) if attn else None,
        "in_channels": dd.get("in_channels", 2),
        "resolution": dd.get("resolution", 256),
        "latent_channels": dd.get("z_channels", 8),
        "norm_type": dd.get("norm_type", "pixel"),
        "causality_axis": dd.get("causality_axis", "height"),
        "dropout": dd.get("dropout", 0.0),
        "mid_block_add_attention": dd.get("mid_block_add_attention", True),
        "sample_rate": params.get("sampling_rate", 16000),
        "mel_hop_length": pre.get("stft", {}).get("hop_length", 160),
        "is_causal": pre.get("stft", {}).get("causal", True),
        "mel_bins": mel_bins,
        "double_z": dd.get("double_z", True),
    }


def vocoder_config(config: dict[str, Any]) -> dict[str, Any]:
    """diffusers `LTX2VocoderWithBWE` kwargs from the nested `vocoder` (+`bwe`) section."""
    section = config.get("vocoder", {})
    if "bwe" not in section:
        raise CheckpointFormatError(
            "checkpoint has a pre-2.3 vocoder (no 'bwe' section); ltx-serve needs an LTX-2.3 checkpoint"
        )
    voc, bwe = section.get("vocoder", {}), section["bwe"]
    for part, name in ((voc, "vocoder"), (bwe, "bwe")):
        if part.get("resblock", "1") != "AMP1" or part.get("activation", "snake") != "snakebeta":
            raise CheckpointFormatError(f"unsupported {name} block type in checkpoint config: {part}")

    def gen(cfg: dict[str, Any]) -> dict[str, Any]:
        return {
            "hidden_channels": cfg.get("upsample_initial_channel", 1024),
            "upsample_kernel_sizes": list(cfg.get("upsample_kernel_sizes", [16, 15, 8, 4, 4])),
            "upsample_factors": list(cfg.get("upsample_rates", [6, 5, 2, 2, 2])),
            "resnet_kernel_sizes": list(cfg.get("resblock_kernel_sizes", [3, 7, 11])),
            "resnet_dilations": [list(d) for d in cfg.get("resblock_dilation_sizes", [[1, 3, 5]] * 3)],
            "final_bias": bool(cfg.get("use_bias_at_final", True)),
        }

    v, b = gen(voc), gen(bwe)
    return {
        "in_channels": 128,
        "hidden_channels": v["hidden_channels"],
        "out_channels": 2,
        "upsample_kernel_sizes": v["upsample_kernel_sizes"],
        "upsample_factors": v["upsample_factors"],
        "resnet_kernel_sizes": v["resnet_kernel_sizes"],
        "resnet_dilations": v["resnet_dilations"],
        "act_fn": "snakebeta",
        "antialias": True,
        # ltx-core builds the 16 kHz stage with apply_final_activation=True: tanh, or a clamp to
        # [-1, 1] when use_tanh_at_final is false (2.3). The BWE stage has no final activation.
        "final_act_fn": "tanh" if voc.get("use_tanh_at_final", True) else "clamp",
        "final_bias": v["final_bias"],
        "bwe_in_channels": bwe.get("num_mels", 64) * 2,
        "bwe_hidden_channels": b["hidden_channels"],
        "bwe_out_channels": 2,
        "bwe_upsample_kernel_sizes": b["upsample_kernel_sizes"],
        "bwe_upsample_factors": b["upsample_factors"],
        "bwe_resnet_kernel_sizes": b["resnet_kernel_sizes"],
        "bwe_resnet_dilations": b["resnet_dilations"],
        "bwe_act_fn": "snakebeta",
        "bwe_antialias": True,
        "bwe_final_act_fn": None,
        "bwe_final_bias": b["final_bias"],
        "filter_length": bwe["n_fft"],
        "hop_length": bwe["hop_length"],
        "window_length": bwe["n_fft"],
        "num_mel_channels": bwe.get("num_mels", 64),
        "input_sampling_rate": bwe["input_sampling_rate"],
        "output_sampling_rate": bwe["output_sampling_rate"],
    }


def upsampler_config(config: dict[str, Any]) -> dict[str, Any]:
    """diffusers `LTX2LatentUpsamplerModel` kwargs from an upscaler file's flat `config`."""
    return {
        "in_channels": config.get("in_channels", 128),
        "mid_channels": config.get("mid_channels", 512),
        "num_blocks_per_stage": config.get("num_blocks_per_stage", 4),
        "dims": config.get("dims", 3),
        "spatial_upsample": config.get("spatial_upsample", True),
        "temporal_upsample": config.get("temporal_upsample", False),
        "rational_spatial_scale": float(config.get("spatial_scale", 2.0)),
        "use_rational_resampler": bool(config.get("rational_resampler", False)),
    }
