"""The audio front end matches what the LTX-2.3 audio VAE was trained on (ltx-core's AudioProcessor)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ltx_serve.endpoints.audio_latents import encode_audio, fit_tokens, log_mel


@pytest.mark.parity
def test_log_mel_matches_ltx_core_audio_processor() -> None:
    ops = pytest.importorskip("ltx_core.model.audio_vae.ops")
    from ltx_core.types import Audio

    wave = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 16000)).astype(np.float32) * 0.2)
    reference = ops.AudioProcessor(target_sample_rate=16000, mel_bins=64, mel_hop_length=160, n_fft=1024)
    expected = reference.waveform_to_mel(Audio(waveform=wave.unsqueeze(0), sampling_rate=16000))
    ours = log_mel(wave, 16000, 64, 160)
    assert ours.shape == expected.shape
    torch.testing.assert_close(ours, expected, atol=2e-4, rtol=1e-4)


def test_fit_tokens_trims_and_pads() -> None:
    tokens = torch.arange(12.0).view(1, 4, 3)
    assert fit_tokens(tokens, 2).shape == (1, 2, 3)
    padded = fit_tokens(tokens, 6)
    assert padded.shape == (1, 6, 3) and torch.equal(padded[0, -1], tokens[0, -1])


@pytest.mark.slow
def test_encode_audio_gives_the_latent_steps_the_video_needs(engine) -> None:
    from ltx_serve.pipelines.latents import AudioGrid

    vae = engine.components.audio_vae
    frames = AudioGrid.frames_for(121, 24.0)  # 5.04 s -> 126 latent steps
    samples = np.random.default_rng(1).standard_normal((2, 16000 * 5)).astype(np.float32) * 0.1
    tokens = encode_audio(vae, samples, frames)
    assert tokens.shape == (1, frames, vae.config.latent_channels * (vae.config.mel_bins // 4))
    assert torch.isfinite(tokens).all()
