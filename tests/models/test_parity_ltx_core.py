"""Numerical parity: our diffusers-based loading vs Lightricks' ltx-core 1.0.0, same tiny file.

Both sides read `ltx-2.3-22b-dev.safetensors` from the tiny set independently (ours through
`load_components`, theirs through ltx-pipelines' `ModelLedger`) in float32 on CPU.

Tolerance: 1e-6 relative to the output's max magnitude (`rel_err`), i.e. ~8 float32 ulps.
Measured on this machine the error is exactly 0.0 for every component: once loaded the same
way, diffusers' LTX2 modules run the same torch kernels in the same order as ltx-core's. The
margin is for BLAS/thread-count differences elsewhere. It is tight on purpose: at tiny sizes
a wrong RoPE precision flag (float32 instead of float64 frequencies) moves the output by only
~5e-6, which a 1e-5 tolerance would have let through (`test_tolerance_catches_a_wrong_flag`).
"""

from __future__ import annotations

import pytest
import torch

from tests.models.ltx_reference import assert_no_meta, ledger, rel_err

pytestmark = pytest.mark.parity

TOL = 1e-6


@pytest.fixture(scope="module")
def ref(tiny_dir):
    from ltx_serve.models import catalog

    pytest.importorskip("ltx_pipelines")
    return ledger(
        tiny_dir / catalog.BY_KEY["dev"].filename, tiny_dir / catalog.BY_KEY["spatial_upscaler"].filename
    )


def _inputs(transformer, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    b, f, h, w, na, lt = 1, 2, 2, 3, 5, 128
    cfg = transformer.config
    video = torch.randn(b, f * h * w, cfg.in_channels, generator=g)
    audio = torch.randn(b, na, cfg.audio_in_channels, generator=g)
    ctx = torch.randn(b, lt, cfg.cross_attention_dim, generator=g)
    actx = torch.randn(b, lt, cfg.audio_cross_attention_dim, generator=g)
    v_coords = transformer.rope.prepare_video_coords(b, f, h, w, torch.device("cpu"), fps=24.0)
    a_coords = transformer.audio_rope.prepare_audio_coords(b, na, torch.device("cpu"))
    return video, audio, ctx, actx, v_coords, a_coords


def _token_sigmas(n: int, sigma: float, clean_first: int) -> torch.Tensor:
    """Per-token sigma = sigma * denoise_mask; the first `clean_first` tokens are conditioning (0)."""
    t = torch.full((1, n), sigma)
    t[:, :clean_first] = 0.0
    return t


def _ours(transformer, inputs, sigma: float, audio_sigma: float, clean_first: int = 0, **kw):
    video, audio, ctx, actx, v_coords, a_coords = inputs
    mult = transformer.config.timestep_scale_multiplier
    out = transformer(
        hidden_states=video,
        audio_hidden_states=audio,
        encoder_hidden_states=ctx,
        audio_encoder_hidden_states=actx,
        timestep=_token_sigmas(video.shape[1], sigma, clean_first) * mult,
        audio_timestep=torch.full(audio.shape[:2], audio_sigma * mult),
        sigma=torch.tensor([sigma * mult]),
        audio_sigma=torch.tensor([audio_sigma * mult]),
        video_coords=v_coords,
        audio_coords=a_coords,
        use_cross_timestep=True,
        return_dict=False,
        **kw,
    )
    return out[0], out[1]


def _theirs(model, inputs, sigma: float, audio_sigma: float, perturbations: list, clean_first: int = 0):
    from ltx_core.guidance.perturbations import BatchedPerturbationConfig, PerturbationConfig
    from ltx_core.model.transformer.modality import Modality

    video, audio, ctx, actx, v_coords, a_coords = inputs
    vm = Modality(
        latent=video,
        sigma=torch.tensor([sigma]),
        timesteps=_token_sigmas(video.shape[1], sigma, clean_first),
        positions=v_coords,
        context=ctx,
    )
    am = Modality(
        latent=audio,
        sigma=torch.tensor([audio_sigma]),
        timesteps=torch.full(audio.shape[:2], audio_sigma),
        positions=a_coords,
        context=actx,
    )
    cfg = BatchedPerturbationConfig([PerturbationConfig(perturbations or None)])
    return model(vm, am, cfg)


@pytest.fixture(scope="module")
def ref_transformer(ref):
    model = ref.transformer().velocity_model
    assert_no_meta(model)
    return model


@pytest.mark.parametrize("mode", ["plain", "stg_block1", "isolated", "first_frame_clean"])
def test_transformer_velocities_match_ltx_core(tiny_components, ref_transformer, mode):
    from ltx_core.guidance.perturbations import Perturbation, PerturbationType

    ours_tr = tiny_components.transformer
    inputs = _inputs(ours_tr)
    kw: dict = {}
    perts: list = []
    if mode == "stg_block1":
        # STG as ltx-core's guider applies it: video and audio self-attention skipped in block 1.
        kw["spatio_temporal_guidance_blocks"] = [1]
        perts = [
            Perturbation(PerturbationType.SKIP_VIDEO_SELF_ATTN, [1]),
            Perturbation(PerturbationType.SKIP_AUDIO_SELF_ATTN, [1]),
        ]
    elif mode == "first_frame_clean":
        # Image-to-video: the first latent frame's tokens (2x3 of them) carry sigma 0.
        kw["clean_first"] = 6
    elif mode == "isolated":
        kw["isolate_modalities"] = True
        perts = [
            Perturbation(PerturbationType.SKIP_A2V_CROSS_ATTN, None),
            Perturbation(PerturbationType.SKIP_V2A_CROSS_ATTN, None),
        ]
    with torch.no_grad():
        v, a = _ours(ours_tr, inputs, 0.7, 0.4, **kw)
        rv, ra = _theirs(ref_transformer, inputs, 0.7, 0.4, perts, kw.get("clean_first", 0))
        plain_v, _ = _ours(ours_tr, inputs, 0.7, 0.4)
    assert rel_err(v, rv) < TOL
    assert rel_err(a, ra) < TOL
    if mode != "plain":  # the perturbation must actually change the output
        assert rel_err(v, plain_v) > 1e-3


def test_text_path_matches_ltx_core(tiny_components, ref):
    """Gemma hidden states -> feature extractor -> connectors, with a left-padded prompt."""
    comps = tiny_components
    proc = ref.gemma_embeddings_processor()
    assert_no_meta(proc)
    tok = comps.tokenizer(["a red fox runs"], padding="max_length", max_length=128, return_tensors="pt")
    with torch.no_grad():
        out = comps.text_encoder(
            input_ids=tok.input_ids, attention_mask=tok.attention_mask, output_hidden_states=True
        )
        states = out.hidden_states
        assert len(states) == 49 and states[0].shape[-1] == 3840
        mask = tok.attention_mask
        ours_v, ours_a, ours_mask = comps.connectors(torch.stack(states, dim=-1).flatten(2, 3), mask)
        theirs = proc.process_hidden_states(states, mask, padding_side="left")
    assert rel_err(ours_v, theirs.video_encoding) < TOL
    assert rel_err(ours_a, theirs.audio_encoding) < TOL
    assert torch.equal(ours_mask.to(torch.int64), theirs.attention_mask.to(torch.int64))


def _norm_video(lat, vae):
    mean = vae.latents_mean.view(1, -1, 1, 1, 1)
    std = vae.latents_std.view(1, -1, 1, 1, 1)
    return (lat - mean) / std


def test_video_vae_encode_decode_match_ltx_core(tiny_components, ref):
    """Pixels -> normalised latent (ltx-core's encoder output) and back, at real 8x32x32 compression."""
    vae = tiny_components.vae
    enc, dec = ref.video_encoder(), ref.video_decoder()
    assert_no_meta(enc)
    assert_no_meta(dec)
    x = torch.rand(1, 3, 9, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        ours = _norm_video(vae.encode(x).latent_dist.mode(), vae)
        theirs = enc(x)
        assert ours.shape == (1, 128, 2, 2, 2)
        assert rel_err(ours, theirs) < TOL
        z = torch.randn(theirs.shape, generator=torch.Generator().manual_seed(2))
        mean = vae.latents_mean.view(1, -1, 1, 1, 1)
        std = vae.latents_std.view(1, -1, 1, 1, 1)
        ours_px = vae.decode(z * std + mean).sample
        theirs_px = dec(z)
    assert ours_px.shape == (1, 3, 9, 64, 64)
    assert rel_err(ours_px, theirs_px) < TOL


def _patch_audio(lat):  # [B, C, T, M] -> [B, T, C*M]: ltx-core's AudioPatchifier and diffusers' packing
    return lat.permute(0, 2, 1, 3).flatten(2)


def test_audio_vae_and_vocoder_match_ltx_core(tiny_components, ref):
    """Finding: ltx-core's 16 kHz vocoder stage ends in clamp(-1, 1) (apply_final_activation=True,
    use_tanh_at_final=False), which diffusers only does with `final_act_fn="clamp"`; mapping it
    to None (no activation, as diffusers' conversion script does for the BWE stage) changed
    the 48 kHz output by O(1). Our converter now sets "clamp" for the first stage only."""
    avae, voc = tiny_components.audio_vae, tiny_components.vocoder
    enc, dec, ref_voc = ref.audio_encoder(), ref.audio_decoder(), ref.vocoder()
    for m in (enc, dec, ref_voc):
        assert_no_meta(m)
    g = torch.Generator().manual_seed(3)
    mel = torch.randn(1, 2, 33, 64, generator=g)
    with torch.no_grad():
        lat = avae.encode(mel).latent_dist.mode()
        _, c, _, m = lat.shape
        ours = (_patch_audio(lat) - avae.latents_mean) / avae.latents_std
        theirs = enc(mel)
        assert rel_err(ours, _patch_audio(theirs)) < TOL
        z = torch.randn(theirs.shape, generator=g)
        un = _patch_audio(z) * avae.latents_std + avae.latents_mean
        un = un.unflatten(2, (c, m)).permute(0, 2, 1, 3)
        ours_mel = avae.decode(un).sample
        theirs_mel = dec(z)
        assert rel_err(ours_mel, theirs_mel) < TOL
        wav, ref_wav = voc(theirs_mel), ref_voc(theirs_mel)
    assert voc.config.output_sampling_rate == ref_voc.output_sampling_rate == 48000
    assert wav.shape == ref_wav.shape and wav.shape[1] == 2
    assert rel_err(wav, ref_wav) < TOL


def test_latent_upsampler_matches_ltx_core(tiny_components, ref):
    up = tiny_components.upsampler
    ref_up = ref.spatial_upsampler()
    assert_no_meta(ref_up)
    x = torch.randn(1, 128, 2, 3, 4, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        ours, theirs = up(x), ref_up(x)
    assert ours.shape == (1, 128, 2, 6, 8)
    assert rel_err(ours, theirs) < TOL


@pytest.mark.parametrize(
    "wrong",
    [
        {"rope_type": "interleaved"},  # 2.3 files say "split"
        {"cross_attn_timestep_scale_multiplier": 1},  # ltx-core's fallback; 2.3 files say 1000
        {"rope_double_precision": False},  # 2.3 files say float64 frequencies
    ],
    ids=lambda w: next(iter(w)),
)
def test_tolerance_catches_a_wrong_flag(tiny_components, ref_transformer, wrong):
    """The 1e-5 tolerance is meaningful: one wrong config flag, same weights, fails it."""
    from ltx_serve.models.keymap import Component
    from ltx_serve.models.single_file import build_empty, model_classes

    good = tiny_components.transformer
    cfg = {k: v for k, v in good.config.items() if not k.startswith("_")}
    bad = build_empty(model_classes()[Component.TRANSFORMER], {**cfg, **wrong})
    bad.load_state_dict({k: v.clone() for k, v in good.state_dict().items()}, strict=True, assign=True)
    bad.eval()
    inputs = _inputs(good)
    with torch.no_grad():
        v, a = _ours(bad, inputs, 0.7, 0.4)
        rv, ra = _theirs(ref_transformer, inputs, 0.7, 0.4, [])
    assert max(rel_err(v, rv), rel_err(a, ra)) > 2 * TOL
