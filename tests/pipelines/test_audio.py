"""Input-audio encoding for audio-to-video: log-mel as ltx-core's AudioProcessor, latents sized
to the video, and the frozen result through the sampler."""

from __future__ import annotations

import pytest
import torch

from ltx_serve.pipelines.audio import encode_audio, log_mel


def test_log_mel_matches_ltx_core_audio_processor():
    from ltx_core.model.audio_vae.ops import AudioProcessor
    from ltx_core.types import Audio

    wave = torch.randn(2, 16000, generator=torch.Generator().manual_seed(0)) * 0.3
    ref = AudioProcessor(
        target_sample_rate=16000, mel_bins=64, mel_hop_length=160, n_fft=1024
    ).waveform_to_mel(Audio(waveform=wave.unsqueeze(0), sampling_rate=16000))
    ours = log_mel(wave, 64)
    assert ours.shape == ref.shape == (1, 2, 101, 64)
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=1e-4)


def test_encoded_audio_covers_the_video_and_is_normalised(tiny_components):
    c = tiny_components
    wave = torch.sin(torch.linspace(0, 2000, 16000 * 2)).repeat(2, 1) * 0.5  # 2 s
    tokens = encode_audio(c.audio_vae, wave, num_frames=25, fps=24.0)
    mel_bins = c.audio_vae.config.mel_bins // 4
    assert tokens.shape == (1, round(25 / 24 * 25), c.audio_vae.config.latent_channels * mel_bins)
    raw = c.audio_vae.encode(log_mel(wave, c.audio_vae.config.mel_bins)).latent_dist.mode()
    first = raw[:, :, :1].transpose(1, 2).flatten(2)
    expected = (first - c.audio_vae.latents_mean) / c.audio_vae.latents_std
    torch.testing.assert_close(tokens[:, :1], expected)
    with pytest.raises(ValueError, match="video needs"):
        encode_audio(c.audio_vae, wave[:, :1600], num_frames=25, fps=24.0)
    with pytest.raises(ValueError, match="stereo"):
        encode_audio(c.audio_vae, wave[:1], num_frames=25, fps=24.0)


def test_input_audio_item_freezes_the_soundtrack_in_both_stages(tiny_components, prompts):
    """Audio-to-video through the pixel-level item, multiscale: the audio stays the input's."""
    from ltx_serve.pipelines.conditioning import InputAudio
    from ltx_serve.pipelines.plan import GenerationPlan, StagePlan, stage2_default
    from ltx_serve.pipelines.sampler import generate

    c = tiny_components
    wave = torch.sin(torch.linspace(0, 3000, 16000)).repeat(2, 1) * 0.4  # 1 s
    plan = GenerationPlan(
        width=128,
        height=128,
        num_frames=17,
        fps=24.0,
        seed=3,
        prompt=prompts[0],
        conditions=(InputAudio(wave, strength=1.0),),
        stage1=StagePlan(schedule="distilled", steps=8),
        stage2=stage2_default(),
        output="latents",
    )
    out = generate(c, plan)
    assert out.audio_frozen
    torch.testing.assert_close(out.audio_latent, encode_audio(c.audio_vae, wave, 17, 24.0))
