"""Guidance: the combination formula equals ltx-core's MultiModalGuider, and one batched call
with per-sample STG / modality isolation equals separate diffusers calls with the global flags."""

from __future__ import annotations

import pytest
import torch

from ltx_serve.pipelines.guidance import GuidanceParams, isolate_samples, stg_modalities
from ltx_serve.pipelines.latents import audio_positions, video_positions


@pytest.mark.parametrize(
    "params",
    [
        GuidanceParams(3.0, 1.0, 3.0, 0.7),
        GuidanceParams(7.0, 0.0, 1.0, 0.0),
        GuidanceParams(1.0, 2.0, 2.0, 1.0),
    ],
)
def test_combine_equals_ltx_core_multimodal_guider(params):
    from ltx_core.components.guiders import MultiModalGuider, MultiModalGuiderParams

    g = torch.Generator().manual_seed(0)
    c, u, p, m = (torch.randn(1, 12, 8, generator=g) for _ in range(4))
    ref = MultiModalGuider(
        MultiModalGuiderParams(
            cfg_scale=params.cfg,
            stg_scale=params.stg,
            rescale_scale=params.rescale,
            modality_scale=params.modality,
        )
    ).calculate(c, u, p, m)
    torch.testing.assert_close(params.combine(c, u, p, m), ref)


def test_one_batched_call_equals_separate_calls(tiny_components, prompts):
    tr = tiny_components.transformer
    pos = prompts[0]
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 12, tr.config.in_channels, generator=g)
    a = torch.randn(1, 18, tr.config.audio_in_channels, generator=g)
    common = dict(
        encoder_hidden_states=pos.video,
        audio_encoder_hidden_states=pos.audio,
        encoder_attention_mask=pos.mask,
        audio_encoder_attention_mask=pos.mask,
        timestep=torch.tensor([700.0]),
        sigma=torch.tensor([700.0]),
        video_coords=video_positions(3, 2, 2, 24.0),
        audio_coords=audio_positions(18),
        use_cross_timestep=True,
        return_dict=False,
    )

    def rep(v, n):
        return v.repeat(n, *([1] * (v.ndim - 1)))

    with torch.no_grad():
        cond = tr(hidden_states=x, audio_hidden_states=a, **common)
        pert = tr(hidden_states=x, audio_hidden_states=a, spatio_temporal_guidance_blocks=[1], **common)
        iso = tr(hidden_states=x, audio_hidden_states=a, isolate_modalities=True, **common)
        batched = {k: rep(v, 3) if isinstance(v, torch.Tensor) else v for k, v in common.items()}
        keep = torch.tensor([1.0, 1.0, 0.0])
        with isolate_samples(tr, keep), stg_modalities(tr, True, True):
            out = tr(
                hidden_states=rep(x, 3),
                audio_hidden_states=rep(a, 3),
                spatio_temporal_guidance_blocks=[1],
                perturbation_mask=torch.tensor([1.0, 0.0, 1.0]),
                **batched,
            )
    for i, ref in enumerate((cond, pert, iso)):
        torch.testing.assert_close(out[0][i : i + 1], ref[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(out[1][i : i + 1], ref[1], atol=1e-5, rtol=0)
    assert not torch.allclose(cond[0], iso[0], atol=1e-4) and not torch.allclose(cond[0], pert[0], atol=1e-4)
    assert all(not b.audio_to_video_attn._forward_hooks for b in tr.transformer_blocks)  # hooks removed
