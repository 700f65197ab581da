"""Decoding: temporally tiled VAE decode yields every frame once, in order, as uint8 chunks;
audio decodes to 48 kHz stereo."""

from __future__ import annotations

import pytest
import torch

from ltx_serve.pipelines.decode import decode_audio, decode_video_chunks
from ltx_serve.pipelines.latents import denormalize_video


class LocalVAE(torch.nn.Module):
    """A stand-in decoder whose output frames depend only on their own latent frame.

    Latent frame 0 -> pixel frame 0, latent frame k -> pixel frames 8k-7 .. 8k (the causal VAE's
    layout). With it, any correct temporal tiling must reproduce the untiled decode exactly.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("latents_mean", torch.zeros(8))
        self.register_buffer("latents_std", torch.ones(8))
        self.config = type("Cfg", (), {"scaling_factor": 1.0})()
        self.dtype_anchor = torch.nn.Parameter(torch.zeros(1))  # decode reads device/dtype from parameters

    def decoder(self, z: torch.Tensor, temb: object) -> torch.Tensor:
        frames = [torch.tanh(z[:, :3, 0])] + [
            torch.tanh(z[:, :3, k]) for k in range(1, z.shape[2]) for _ in range(8)
        ]
        video = torch.stack(frames, dim=2)
        return video.repeat_interleave(32, dim=3).repeat_interleave(32, dim=4)


@pytest.mark.parametrize(("window", "overlap"), [(2, 1), (3, 1), (4, 3), (8, 3), (61, 0)])
def test_temporal_tiles_reproduce_the_untiled_decode_exactly(window, overlap):
    vae = LocalVAE()
    lat = torch.randn(1, 8, 61, 1, 2, generator=torch.Generator().manual_seed(0))  # 481 frames
    full = list(decode_video_chunks(vae, lat, window=61, overlap=0))
    chunks = list(decode_video_chunks(vae, lat, window=window, overlap=overlap))
    out = torch.cat(chunks)
    assert out.dtype == torch.uint8 and out.shape == (481, 32, 64, 3)
    assert torch.equal(out, torch.cat(full))
    if window < 61:
        assert len(chunks) > 1 and max(c.shape[0] for c in chunks) <= 8 * window + 1


def test_tiny_vae_single_window_equals_plain_decode_and_tiles_keep_geometry(tiny_components):
    """On the tiny random VAE a single window is bit-identical to `vae.decode`.

    Tiled output is only checked for shape/frame count: random decoder weights are not smooth,
    so tile seams differ by up to the full uint8 range (measured: mean |diff| 17-52 levels);
    with real weights the blend hides seams, which this test cannot show.
    """
    c = tiny_components
    lat = torch.randn(1, c.vae.config.latent_channels, 3, 2, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = c.vae.decode(denormalize_video(lat, c.vae), return_dict=False)[0][0].permute(1, 2, 3, 0)
    ref = ((ref.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    single = torch.cat(list(decode_video_chunks(c.vae, lat)))
    assert torch.equal(single, ref)
    tiled = torch.cat(
        list(decode_video_chunks(c.vae, lat, window=2, overlap=1, tile_px=32, tile_overlap_px=0))
    )
    assert tiled.shape == ref.shape == (17, 64, 64, 3)
    assert not c.vae.use_tiling  # the shared VAE's settings are restored


def test_audio_decodes_to_48khz_stereo(tiny_components):
    c = tiny_components
    mel_bins = c.audio_vae.config.mel_bins // 4
    tokens = torch.randn(1, 18, c.audio_vae.config.latent_channels * mel_bins)
    wave, rate = decode_audio(c.audio_vae, c.vocoder, tokens, mel_bins)
    assert rate == 48000 and wave.ndim == 2 and wave.shape[0] == 2
    assert wave.abs().max() <= 1.0 and wave.shape[1] > 0.6 * 48000  # 18 latent steps = 0.72 s
