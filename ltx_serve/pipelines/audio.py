"""Input audio -> LTX-2.3 audio latents (for audio-to-video and `audio_strength` conditioning).

The audio VAE encodes log-mel spectrograms of 16 kHz stereo: STFT n_fft 1024 (Hann window,
centred, reflect padding), hop 160, magnitude (power 1), 64 Slaney-normalised Slaney-scale mel
bands from 0 to 8 kHz, natural log clamped at 1e-5 (ltx-core's `AudioProcessor`, which uses
torchaudio; torchaudio is not a runtime dependency here, so the filterbank is computed below).
`ltx_serve.media.audio.decode_audio(..., sample_rate=16000)` gives the waveform.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from ltx_serve.pipelines.latents import AudioGrid, normalize_audio_tokens, pack_audio

SAMPLE_RATE = 16000
N_FFT = 1024
HOP = 160


def _hz_to_mel(f: torch.Tensor) -> torch.Tensor:
    """Slaney mel scale: linear (3 per 200 Hz) below 1 kHz, logarithmic above."""
    lin = 3.0 * f / 200.0
    log = 15.0 + torch.log(f.clamp(min=1e-10) / 1000.0) * (27.0 / math.log(6.4))
    return torch.where(f < 1000.0, lin, log)


def _mel_to_hz(m: torch.Tensor) -> torch.Tensor:
    lin = 200.0 * m / 3.0
    log = 1000.0 * torch.exp((m - 15.0) * (math.log(6.4) / 27.0))
    return torch.where(m < 15.0, lin, log)


@lru_cache(maxsize=4)
def mel_filterbank(n_mels: int, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """[n_fft // 2 + 1, n_mels] triangular filters, each scaled to unit area (Slaney norm)."""
    freqs = torch.linspace(0, sample_rate // 2, n_fft // 2 + 1)
    edges = _mel_to_hz(
        torch.linspace(
            float(_hz_to_mel(torch.tensor(0.0))),
            float(_hz_to_mel(torch.tensor(sample_rate / 2.0))),
            n_mels + 2,
        )
    )
    widths = edges[1:] - edges[:-1]
    dist = edges.unsqueeze(0) - freqs.unsqueeze(1)  # [F, n_mels + 2]
    rising = -dist[:, :-2] / widths[:-1]
    falling = dist[:, 2:] / widths[1:]
    fb = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return fb * (2.0 / (edges[2 : n_mels + 2] - edges[:n_mels]))


def log_mel(waveform: torch.Tensor, n_mels: int = 64) -> torch.Tensor:
    """Stereo 16 kHz waveform [2, N] (or [B, 2, N]) -> log-mel [B, 2, frames, n_mels]."""
    wave = waveform if waveform.ndim == 3 else waveform.unsqueeze(0)
    b, ch, n = wave.shape
    spec = torch.stft(
        wave.reshape(b * ch, n).float(),
        n_fft=N_FFT,
        hop_length=HOP,
        win_length=N_FFT,
        window=torch.hann_window(N_FFT, device=wave.device),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    ).abs()  # [B*C, F, T]
    mel = torch.matmul(spec.transpose(1, 2), mel_filterbank(n_mels).to(spec.device))  # [B*C, T, n_mels]
    return torch.log(mel.clamp(min=1e-5)).reshape(b, ch, -1, n_mels)


@torch.no_grad()
def encode_audio(
    audio_vae: torch.nn.Module, waveform: torch.Tensor, num_frames: int, fps: float
) -> torch.Tensor:
    """16 kHz stereo [2, N] -> normalised packed audio tokens [1, T, C*M] covering the video.

    T = round(num_frames / fps * 25); the latents are cut to T (the waveform should already be
    trimmed/padded to the video's duration, e.g. by `media.audio.decode_audio(duration=...)`).
    A waveform of exactly that duration can encode to one step fewer than T (the mel frames
    round down): that last step is repeated. Audio any shorter is an error.
    """
    if waveform.ndim != 2 or waveform.shape[0] != 2:
        raise ValueError(f"expected a stereo waveform [2, N], got {tuple(waveform.shape)}")
    p = next(audio_vae.parameters())
    mel = log_mel(waveform, audio_vae.config.mel_bins).to(p.device, p.dtype)
    latent = audio_vae.encode(mel).latent_dist.mode().float()  # [1, C, T', M]
    frames = AudioGrid.frames_for(num_frames, fps)
    have = latent.shape[2]
    if have < frames - 1 or have == 0:
        raise ValueError(f"audio covers {have} latent steps, the video needs {frames}")
    if have < frames:
        latent = torch.cat([latent, latent[:, :, -1:]], dim=2)
    return normalize_audio_tokens(pack_audio(latent[:, :, :frames]), audio_vae)
