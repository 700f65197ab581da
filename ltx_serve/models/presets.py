"""Lightricks-format configs: the published LTX-2.3 22B architecture and the tiny test preset.

`LTX23_CONFIG` is the checkpoint metadata `config` of the real 22B files as far as public
dumps and ltx-core's defaults show it. It is used to build full-size models on the `meta`
device (shape checks, parameter counts, the memory plan) without the 46 GB file.

`TINY_CONFIG` is the same architecture shrunk where ltx-core allows it and kept real where
the pipelines hard-code sizes (see `weights/README.md`, "Tiny preset"): 128 latent
channels, 8x32x32 compression, 8 audio latent channels x 16 mel bins, 64 mel bins into the
vocoder, and the 3840x49 Gemma feature width.
"""

from __future__ import annotations

from typing import Any

_TRANSFORMER_FIXED: dict[str, Any] = {
    "dropout": 0.0,
    "attention_bias": True,
    "activation_fn": "gelu-approximate",
    "num_embeds_ada_norm": 1000,
    "use_linear_projection": False,
    "only_cross_attention": False,
    "cross_attention_norm": True,
    "double_self_attention": False,
    "upcast_attention": False,
    "standardization_norm": "rms_norm",
    "norm_elementwise_affine": False,
    "qk_norm": "rms_norm",
    "positional_embedding_type": "rope",
    "use_audio_video_cross_attention": True,
    "share_ff": False,
    "av_cross_ada_norm": True,
    "use_middle_indices_grid": True,
    "in_channels": 128,
    "out_channels": 128,
    "audio_in_channels": 128,
    "audio_out_channels": 128,
    "caption_channels": 3840,
    "connector_positional_embedding_max_pos": [4096],
    "connector_apply_gated_attention": True,
    "apply_gated_attention": True,
    "cross_attention_adaln": True,
    "rope_type": "split",
    "frequencies_precision": "float64",
    "positional_embedding_theta": 10000.0,
    "positional_embedding_max_pos": [20, 2048, 2048],
    "audio_positional_embedding_max_pos": [20],
    "timestep_scale_multiplier": 1000,
    "av_ca_timestep_scale_multiplier": 1000,
    "norm_eps": 1e-6,
    "attention_type": "default",
    "caption_proj_before_connector": True,
    "caption_projection_first_linear": False,
    "caption_proj_input_norm": False,
    "caption_projection_second_linear": False,
}


def _transformer(**dims: Any) -> dict[str, Any]:
    return {**_TRANSFORMER_FIXED, **dims}


_VAE_FIXED: dict[str, Any] = {
    "_class_name": "CausalVideoAutoencoder",
    "dims": 3,
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 128,
    "patch_size": 4,
    "norm_layer": "pixel_norm",
    "latent_log_var": "uniform",
    "spatial_padding_mode": "zeros",
    "causal_decoder": False,
    "timestep_conditioning": False,
    "scaling_factor": 1.0,
    "use_quant_conv": False,
    "normalize_latent_channels": False,
}


def _audio_vae(ch_mult: list[int], num_res_blocks: int) -> dict[str, Any]:
    return {
        "model": {
            "params": {
                "sampling_rate": 16000,
                "ddconfig": {
                    "ch": 128,
                    "out_ch": 2,
                    "in_channels": 2,
                    "ch_mult": ch_mult,
                    "num_res_blocks": num_res_blocks,
                    "attn_resolutions": [],
                    "resolution": 256,
                    "z_channels": 8,
                    "double_z": True,
                    "norm_type": "pixel",
                    "causality_axis": "height",
                    "dropout": 0.0,
                    "mid_block_add_attention": False,
                    "mel_bins": 64,
                },
            }
        },
        "preprocessing": {
            "stft": {"hop_length": 160, "filter_length": 1024, "causal": True},
            "mel": {"n_mel_channels": 64},
        },
    }


def _generator(rates: list[int], kernels: list[int], channels: int, res_kernels: list[int]) -> dict[str, Any]:
    return {
        "resblock": "AMP1",
        "stereo": True,
        "activation": "snakebeta",
        "resblock_kernel_sizes": res_kernels,
        "resblock_dilation_sizes": [[1, 3, 5]] * len(res_kernels),
        "use_tanh_at_final": False,
        "use_bias_at_final": False,
        "upsample_initial_channel": channels,
        "upsample_rates": rates,
        "upsample_kernel_sizes": kernels,
    }


def _bwe(**gen: Any) -> dict[str, Any]:
    return {
        **_generator(**gen),
        "input_sampling_rate": 16000,
        "output_sampling_rate": 48000,
        "n_fft": 512,
        "hop_length": 80,
        "num_mels": 64,
    }


LTX23_CONFIG: dict[str, Any] = {
    "transformer": _transformer(
        num_layers=48,
        num_attention_heads=32,
        attention_head_dim=128,
        cross_attention_dim=4096,
        audio_num_attention_heads=32,
        audio_attention_head_dim=64,
        audio_cross_attention_dim=2048,
        connector_num_attention_heads=32,
        connector_attention_head_dim=128,
        connector_num_layers=8,
        audio_connector_num_attention_heads=32,
        audio_connector_attention_head_dim=64,
        audio_connector_num_layers=8,
    ),
    "vae": {
        **_VAE_FIXED,
        "encoder_base_channels": 128,
        "decoder_base_channels": 128,
        "encoder_blocks": [
            ["res_x", {"num_layers": 4}],
            ["compress_space_res", {"multiplier": 2}],
            ["res_x", {"num_layers": 6}],
            ["compress_time_res", {"multiplier": 2}],
            ["res_x", {"num_layers": 4}],
            ["compress_all_res", {"multiplier": 2}],
            ["res_x", {"num_layers": 2}],
            ["compress_all_res", {"multiplier": 1}],
            ["res_x", {"num_layers": 2}],
        ],
        "decoder_blocks": [
            ["res_x", {"num_layers": 4}],
            ["compress_space", {"multiplier": 2}],
            ["res_x", {"num_layers": 6}],
            ["compress_time", {"multiplier": 2}],
            ["res_x", {"num_layers": 4}],
            ["compress_all", {"multiplier": 1}],
            ["res_x", {"num_layers": 2}],
            ["compress_all", {"multiplier": 2}],
            ["res_x", {"num_layers": 2}],
        ],
    },
    "audio_vae": _audio_vae([1, 2, 4], 2),
    "vocoder": {
        "vocoder": _generator([5, 2, 2, 2, 2, 2], [11, 4, 4, 4, 4, 4], 1536, [3, 7, 11]),
        "bwe": _bwe(rates=[6, 5, 2, 2, 2], kernels=[12, 11, 4, 4, 4], channels=512, res_kernels=[3, 7, 11]),
    },
}

LTX23_UPSAMPLER_CONFIG: dict[str, Any] = {
    "in_channels": 128,
    "mid_channels": 1024,
    "num_blocks_per_stage": 4,
    "dims": 3,
    "spatial_upsample": True,
    "temporal_upsample": False,
    "spatial_scale": 2.0,
    "rational_resampler": False,
}

TINY_CONFIG: dict[str, Any] = {
    "transformer": _transformer(
        num_layers=2,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        connector_num_attention_heads=2,
        connector_attention_head_dim=8,
        connector_num_layers=1,
        audio_connector_num_attention_heads=2,
        audio_connector_attention_head_dim=4,
        audio_connector_num_layers=1,
    ),
    "vae": {
        **_VAE_FIXED,
        "decoder_base_channels": 4,
        "encoder_blocks": [
            ["compress_space_res", {"multiplier": 1}],
            ["compress_time_res", {"multiplier": 1}],
            ["compress_all_res", {"multiplier": 1}],
            ["compress_all_res", {"multiplier": 1}],
        ],
        "decoder_blocks": [
            ["res_x", {"num_layers": 1}],
            ["compress_space", {"multiplier": 2}],
            ["res_x", {"num_layers": 1}],
            ["compress_time", {"multiplier": 2}],
            ["res_x", {"num_layers": 1}],
            ["compress_all", {"multiplier": 1}],
            ["res_x", {"num_layers": 1}],
            ["compress_all", {"multiplier": 2}],
            ["res_x", {"num_layers": 1}],
        ],
    },
    "audio_vae": _audio_vae([1, 1, 1], 0),
    "vocoder": {
        "vocoder": _generator([10, 16], [20, 32], 8, [3]),
        "bwe": _bwe(rates=[15, 16], kernels=[29, 32], channels=8, res_kernels=[3]),
    },
}

TINY_UPSAMPLER_CONFIG: dict[str, Any] = {
    "in_channels": 128,
    "mid_channels": 32,
    "num_blocks_per_stage": 1,
    "dims": 3,
    "spatial_upsample": True,
    "temporal_upsample": False,
    "spatial_scale": 2.0,
    "rational_resampler": False,
}
