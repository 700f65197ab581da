"""One small seeded bf16 forward of a loaded LTX-2 transformer (2x2 latent, 2 frames, 4 audio
tokens): what the memory-plan and LoRA tests compare before and after changing the weights."""

from __future__ import annotations

import torch


def tiny_transformer_forward(transformer: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """(video, audio) outputs as float32."""
    cfg = transformer.config
    g = torch.Generator().manual_seed(0)

    def noise(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g, dtype=torch.bfloat16)

    with torch.no_grad():
        out = transformer(
            hidden_states=noise(1, 8, cfg.in_channels),
            audio_hidden_states=noise(1, 4, cfg.audio_in_channels),
            encoder_hidden_states=noise(1, 8, cfg.cross_attention_dim),
            audio_encoder_hidden_states=noise(1, 8, cfg.audio_cross_attention_dim),
            timestep=torch.full((1, 8), 500.0),
            audio_timestep=torch.full((1, 4), 500.0),
            sigma=torch.tensor([500.0]),
            num_frames=2,
            height=2,
            width=2,
            audio_num_frames=4,
            use_cross_timestep=True,
            return_dict=False,
        )
    return out[0].float(), out[1].float()
