"""Input audio -> normalised, packed LTX-2.3 audio latents (audio-to-video, video-to-video).

The sampler package decodes audio latents but has no encoder, so the endpoints own this
step (a candidate to move into `ltx_serve.pipelines`). The front end matches what the LTX-2.3
audio VAE was trained on (ltx-core's AudioProcessor, configured from the checkpoint's
`preprocessing` block): stereo at 16 kHz, STFT n_fft 1024 / hop 160 with a Hann window,
magnitude (power 1) Slaney mel filterbank with `mel_bins` bands up to Nyquist, natural log
clamped at 1e-5, laid out [batch, channels, time, mels]. The audio VAE encodes that in
distribution mode; the latents are packed [1, T, C*M] and normalised with the VAE's
per-feature statistics, then trimmed or edge-padded to the `T` latent steps the video needs.
"""

from __future__ import annotations

import math

import numpy as np
import torch

N_FFT = 1024


def _hz_to_mel(freq: torch.Tensor) -> torch.Tensor:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    mel = freq / f_sp
    return torch.where(freq >= min_log_hz, min_log_mel + torch.log(freq / min_log_hz) / logstep, mel)


def _mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    freq = mel * f_sp
    return torch.where(mel >= min_log_mel, min_log_hz * torch.exp(logstep * (mel - min_log_mel)), freq)


def mel_filterbank(n_freqs: int, sample_rate: int, n_mels: int) -> torch.Tensor:
    """[n_freqs, n_mels] Slaney-normalised triangular filters from 0 Hz to Nyquist."""
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=torch.float64)
    m_pts = torch.linspace(
        float(_hz_to_mel(torch.tensor(0.0, dtype=torch.float64))),
        float(_hz_to_mel(torch.tensor(sample_rate / 2.0, dtype=torch.float64))),
        n_mels + 2,
        dtype=torch.float64,
    )
    f_pts = _mel_to_hz(m_pts)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = torch.clamp(torch.minimum(down, up), min=0.0)
    enorm = 2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels])
    return (fb * enorm.unsqueeze(0)).float()


def log_mel(waveform: torch.Tensor, sample_rate: int, mel_bins: int, hop_length: int) -> torch.Tensor:
    """[C, N] float waveform at `sample_rate` -> [1, C, frames, mel_bins] log-mel."""
    x = waveform.float()
    spec = torch.stft(
        x,
        n_fft=N_FFT,
        hop_length=hop_length,
        win_length=N_FFT,
        window=torch.hann_window(N_FFT, device=x.device),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    ).abs()  # [C, freqs, frames], magnitude (power 1)
    fb = mel_filterbank(N_FFT // 2 + 1, sample_rate, mel_bins).to(x.device)
    mel = torch.einsum("cft,fm->ctm", spec, fb)
    return torch.log(torch.clamp(mel, min=1e-5)).unsqueeze(0).contiguous()


def fit_tokens(tokens: torch.Tensor, frames: int) -> torch.Tensor:
    """Trim, or pad by repeating the last step, to exactly `frames` latent steps."""
    t = tokens.shape[1]
    if t >= frames:
        return tokens[:, :frames]
    if t == 0:
        raise ValueError("the audio encoded to zero latent steps")
    pad = tokens[:, -1:].expand(-1, frames - t, -1)
    return torch.cat([tokens, pad], dim=1)


@torch.no_grad()
def encode_audio(audio_vae: torch.nn.Module, samples: np.ndarray, frames: int) -> torch.Tensor:
    """Stereo float samples [2, N] at the audio VAE's rate -> normalised tokens [1, frames, C*M]."""
    from ltx_serve.pipelines.latents import normalize_audio_tokens, pack_audio

    cfg = audio_vae.config
    mel = log_mel(
        torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)),
        int(cfg.sample_rate),
        int(cfg.mel_bins),
        int(cfg.mel_hop_length),
    )
    p = next(audio_vae.parameters())
    latent = audio_vae.encode(mel.to(p.device, p.dtype)).latent_dist.mode().float()
    tokens = normalize_audio_tokens(pack_audio(latent), audio_vae)
    return fit_tokens(tokens, frames)
