"""Conditioning items vs ltx-core 1.0.0's conditioning types, token for token.

Builds the same target with ltx-core's `VideoLatentTools` and applies first-frame
(`VideoConditionByLatentIndex`), keyframe (`VideoConditionByKeyframeIndex`) and IC-LoRA reference
(`VideoConditionByReferenceLatent` wrapped in `ConditioningItemAttentionStrengthWrapper`) items; our
single `apply_conditions` loop must give identical latents, clean latents, denoise masks, positions
and self-attention masks.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from ltx_core.components.patchifiers import VideoLatentPatchifier
from ltx_core.conditioning import (
    ConditioningItemAttentionStrengthWrapper,
    VideoConditionByKeyframeIndex,
    VideoConditionByLatentIndex,
    VideoConditionByReferenceLatent,
)
from ltx_core.tools import VideoLatentTools
from ltx_core.types import VideoLatentShape

from ltx_serve.pipelines.conditioning import (
    LatentAudio,
    LatentFrames,
    LatentKeyframe,
    LatentReference,
    LatentState,
    apply_conditions,
    attention_bias,
)
from ltx_serve.pipelines.latents import audio_positions, video_positions

FPS = 25.0
C, F, H, W = 8, 3, 4, 4


def _ours_initial() -> tuple[LatentState, LatentState]:
    n = F * H * W
    video = LatentState(
        latent=torch.zeros(1, n, C),
        clean=torch.zeros(1, n, C),
        mask=torch.ones(1, n, 1),
        positions=video_positions(F, H, W, FPS),
        target_tokens=n,
    )
    audio = LatentState(
        latent=torch.zeros(1, 10, 4),
        clean=torch.zeros(1, 10, 4),
        mask=torch.ones(1, 10, 1),
        positions=audio_positions(10),
        target_tokens=10,
    )
    return video, audio


@pytest.mark.parametrize("attention_strength", [1.0, 0.5])
@pytest.mark.parametrize("strength", [1.0, 0.7])
def test_items_match_ltx_core(attention_strength, strength):
    g = torch.Generator().manual_seed(0)
    first = torch.randn(1, C, 1, H, W, generator=g)
    key = torch.randn(1, C, 1, H, W, generator=g)
    ref = torch.randn(1, C, F, H // 2, W // 2, generator=g)

    tools = VideoLatentTools(VideoLatentPatchifier(patch_size=1), VideoLatentShape(1, C, F, H, W), FPS)
    state = tools.create_initial_state("cpu", torch.float32)
    reference = VideoConditionByReferenceLatent(latent=ref, downscale_factor=2, strength=strength)
    if attention_strength < 1.0:  # as ICLoraPipeline: the wrapper only when strength < 1
        reference = ConditioningItemAttentionStrengthWrapper(reference, attention_mask=attention_strength)
    for item in (
        VideoConditionByLatentIndex(latent=first, strength=strength, latent_idx=0),
        VideoConditionByKeyframeIndex(keyframes=key, frame_idx=16, strength=strength),
        reference,
    ):
        state = item.apply_to(state, tools)

    video, audio = _ours_initial()
    video, audio = apply_conditions(
        [
            LatentFrames(first, strength=strength),
            LatentKeyframe(key, frame_index=16, strength=strength),
            LatentReference(
                ref, downscale_factor=2, strength=strength, attention_strength=attention_strength
            ),
        ],
        video,
        audio,
        fps=FPS,
    )
    assert torch.equal(video.latent, state.latent)
    assert torch.equal(video.clean, state.clean_latent)
    torch.testing.assert_close(video.mask, state.denoise_mask.float())
    torch.testing.assert_close(video.positions, state.positions.float())
    if attention_strength == 1.0:
        assert video.attention is None and state.attention_mask is None
    else:
        torch.testing.assert_close(video.attention, state.attention_mask)
    assert video.target_tokens == F * H * W
    assert video.latent.shape[1] == F * H * W + H * W + F * (H // 2) * (W // 2)


def test_attention_bias_is_ltx_cores_log_bias():
    w = torch.tensor([[1.0, 0.5, 0.1, 0.0]])
    bias = attention_bias(w, torch.float32)
    torch.testing.assert_close(bias[0, :3], torch.log(w[0, :3]))
    assert bias[0, 3] == torch.finfo(torch.float32).min
    # bfloat16 keeps weights near 1 distinguishable (diffusers' (1 - m) * -10000 route cannot).
    assert attention_bias(torch.tensor([0.99]), torch.bfloat16).item() < 0


def test_audio_condition_freezes_audio():
    video, audio = _ours_initial()
    tokens = torch.randn(1, 10, 4)
    _, frozen = apply_conditions([LatentAudio(tokens, strength=1.0)], video, audio, fps=FPS)
    assert frozen.frozen and torch.equal(frozen.clean, tokens)
    _, partial = apply_conditions([LatentAudio(tokens, strength=0.25)], video, audio, fps=FPS)
    assert not partial.frozen and torch.allclose(partial.mask, torch.full_like(partial.mask, 0.75))
    with pytest.raises(ValueError, match="latent steps"):
        apply_conditions([LatentAudio(torch.randn(1, 7, 4))], video, audio, fps=FPS)


def test_keep_start_refines_the_current_latent_towards_a_soft_input():
    """Stage 2 with a soft input video/audio (strength < 1) must start from the upsampled
    stage-1 latent, not from the input: the input only becomes the clean target."""
    video, audio = _ours_initial()
    start_v, start_a = torch.randn_like(video.latent), torch.randn_like(audio.latent)
    video, audio = replace(video, latent=start_v), replace(audio, latent=start_a)
    frames, tokens = torch.randn(1, C, F, H, W), torch.randn(1, 10, 4)
    items = [LatentFrames(frames, strength=0.01, keep_start=True), LatentAudio(tokens, 0.01, keep_start=True)]
    v, a = apply_conditions(items, video, audio, fps=FPS)
    assert torch.equal(v.latent, start_v) and torch.equal(a.latent, start_a)
    assert torch.allclose(v.mask, torch.full_like(v.mask, 0.99)) and torch.equal(a.clean, tokens)
    assert not torch.equal(v.clean, video.clean)
    replaced, _ = apply_conditions([LatentFrames(frames, strength=0.01)], video, audio, fps=FPS)
    assert not torch.equal(replaced.latent, start_v)  # without keep_start the input overwrites it
