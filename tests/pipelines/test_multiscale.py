"""Multiscale (two-stage) runs: parity with diffusers' stage 1 -> latent upsample -> stage 2 flow,
per-stage LoRA scales, transformer calls per stage, stage-2 rules (no reference, no guidance)."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import torch

from ltx_serve.errors import FieldError
from ltx_serve.pipelines.conditioning import ReferenceVideo
from ltx_serve.pipelines.guidance import Guidance, GuidanceParams
from ltx_serve.pipelines.latents import (
    denormalize_audio_tokens,
    denormalize_video,
    normalize_video,
    unpack_audio,
)
from ltx_serve.pipelines.loras import PeftLoraControl
from ltx_serve.pipelines.multiscale import upsample_latents
from ltx_serve.pipelines.plan import GenerationPlan, StagePlan, stage2_default
from ltx_serve.pipelines.sampler import generate
from tests.pipelines.diffusers_reference import diffusers_pipeline

W = H = 128
FRAMES = 17
FPS = 24.0
SEED = 5
SIGMAS = (1.0, 0.7, 0.4, 0.0)
FULL = Guidance(
    video=GuidanceParams(cfg=3.0, stg=1.0, modality=3.0, rescale=0.7),
    audio=GuidanceParams(cfg=7.0, stg=1.0, modality=3.0, rescale=0.7),
    stg_blocks=(1,),
)


def _noise(c):
    g = torch.Generator().manual_seed(3)
    video = torch.randn(1, 3 * (H // 64) * (W // 64), c.transformer.config.in_channels, generator=g)
    audio = torch.randn(1, round(FRAMES / FPS * 25), c.transformer.config.audio_in_channels, generator=g)
    return video, audio


def _plan(**kw) -> GenerationPlan:
    base = dict(
        width=W,
        height=H,
        num_frames=FRAMES,
        fps=FPS,
        seed=SEED,
        prompt="waves at dusk",
        negative_prompt="noise",
        stage1=StagePlan(sigmas=SIGMAS, guidance=FULL),
        stage2=stage2_default(),
        max_sequence_length=128,
        output="latents",
    )
    base.update(kw)
    return GenerationPlan(**base)


@pytest.mark.parity
def test_two_stage_matches_diffusers_upsample_flow(tiny_components, call_counter):
    """Stage 1 (half size, guided) -> x2 upsampler -> stage 2 re-noised at 0.909375, 3 distilled steps.

    diffusers: `LTX2Pipeline` at 64x64 with our stage-1 noise, `LTX2LatentUpsamplePipeline`
    (raw latents in and out), then `LTX2Pipeline` at 128x128 with `noise_scale=0.909375`, the
    stage-2 sigmas, every guidance scale neutral and `generator=manual_seed(seed)`: it draws the
    stage-2 video then audio noise in the same order and shapes as we do. Tolerance 1e-4.
    """
    from diffusers import LTX2LatentUpsamplePipeline

    c = tiny_components
    vn, an = _noise(c)
    with call_counter(c.transformer) as calls:
        ours = generate(c, _plan(initial_noise=(vn, an)))
    assert calls.batch_sizes == [4] * 3 + [1] * 3

    pipe = diffusers_pipeline(c)
    common = dict(
        prompt="waves at dusk",
        negative_prompt="noise",
        num_frames=FRAMES,
        frame_rate=FPS,
        max_sequence_length=128,
        output_type="latent",
        return_dict=False,
        use_cross_timestep=True,
    )
    v1, a1 = pipe(
        height=H // 2,
        width=W // 2,
        sigmas=list(SIGMAS[:-1]),
        latents=vn.clone(),
        audio_latents=denormalize_audio_tokens(an, c.audio_vae),
        guidance_scale=3.0,
        stg_scale=1.0,
        modality_scale=3.0,
        guidance_rescale=0.7,
        audio_guidance_scale=7.0,
        audio_stg_scale=1.0,
        audio_modality_scale=3.0,
        audio_guidance_rescale=0.7,
        spatio_temporal_guidance_blocks=[1],
        **common,
    )
    up = LTX2LatentUpsamplePipeline(vae=c.vae, latent_upsampler=c.upsampler)(
        latents=v1, output_type="latent", return_dict=False
    )[0]
    v2, a2 = pipe(
        height=H,
        width=W,
        sigmas=[0.909375, 0.725, 0.421875],
        noise_scale=0.909375,
        latents=up,
        audio_latents=a1,
        guidance_scale=1.0,
        stg_scale=0.0,
        modality_scale=1.0,
        guidance_rescale=0.0,
        audio_guidance_scale=1.0,
        audio_stg_scale=0.0,
        audio_modality_scale=1.0,
        audio_guidance_rescale=0.0,
        generator=torch.Generator().manual_seed(SEED),
        **common,
    )
    torch.testing.assert_close(denormalize_video(ours.video_latent, c.vae), v2.float(), atol=1e-4, rtol=0)
    audio = unpack_audio(
        denormalize_audio_tokens(ours.audio_latent, c.audio_vae), c.audio_vae.config.mel_bins // 4
    )
    torch.testing.assert_close(audio, a2.float(), atol=1e-4, rtol=0)


def test_upsample_works_on_raw_latents(tiny_components):
    c = tiny_components
    lat = torch.randn(1, c.vae.config.latent_channels, 2, 2, 3)
    out = upsample_latents(c.upsampler, c.vae, lat)
    assert out.shape == (1, lat.shape[1], 2, 4, 6)
    expected = normalize_video(c.upsampler(denormalize_video(lat, c.vae)), c.vae)
    torch.testing.assert_close(out, expected)


class RecordingLoras:
    def __init__(self) -> None:
        self.calls: list[dict[str, float]] = []

    def set_loras(self, scales):
        self.calls.append(dict(scales))


def test_lora_scales_are_set_per_stage_and_reference_is_stage1_only(tiny_components, call_counter, prompts):
    """IC-LoRA flow: reference tokens + IC-LoRA in stage 1, neither in stage 2; distilled CFG 1."""
    c = tiny_components
    ref = torch.randint(0, 256, (FRAMES, H // 4, W // 4, 3), dtype=torch.uint8)
    loras = RecordingLoras()
    plan = _plan(
        prompt=prompts[0],
        negative_prompt=prompts[1],
        stage1=StagePlan(schedule="distilled", steps=8, loras=(("distill", 0.25), ("ic", 1.0))),
        stage2=stage2_default(loras=(("distill", 0.5),)),
        conditions=(ReferenceVideo(ref, downscale_factor=2),),
    )
    seen: list[int] = []
    with call_counter(c.transformer) as calls:
        inner = c.transformer.forward

        def spy(*a, **k):
            seen.append(k["hidden_states"].shape[1])
            return inner(*a, **k)

        c.transformer.forward = spy
        try:
            generate(c, plan, lora_control=loras)
        finally:
            c.transformer.forward = inner
    assert loras.calls == [{"distill": 0.25, "ic": 1.0}, {"distill": 0.5}]
    assert calls.batch_sizes == [1] * 11  # 8 distilled + 3 stage-2 steps, no guidance passes
    stage1_tokens = 3 * 2 * 2 + 3 * 1 * 1  # target at 64x64 + reference at 32x32
    assert seen[:8] == [stage1_tokens] * 8
    assert seen[8:] == [3 * 4 * 4] * 3  # stage 2: target only


def test_peft_lora_control_changes_the_output_and_zero_restores_it(tiny_components, prompts):
    from peft import LoraConfig

    c = copy.copy(tiny_components)
    c.transformer = copy.deepcopy(tiny_components.transformer)
    cfg = LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_v"], init_lora_weights=False)
    c.transformer.add_adapter(cfg, adapter_name="distill")
    control = PeftLoraControl(c.transformer)
    plan = _plan(stage1=StagePlan(sigmas=SIGMAS), stage2=None, width=64, height=64, prompt=prompts[0])
    control.set_loras({})
    base = generate(c, plan).video_latent
    control.set_loras({"distill": 1.0})
    with_lora = generate(c, plan).video_latent
    assert not torch.allclose(base, with_lora, atol=1e-4)
    plan_off = replace(plan, stage1=StagePlan(sigmas=SIGMAS, loras=(("distill", 0.0),)))
    torch.testing.assert_close(generate(c, plan_off, lora_control=control).video_latent, base)
    with pytest.raises(ValueError, match="not loaded"):
        control.set_loras({"camera": 1.0})


def test_multiscale_sizes_must_be_multiples_of_64():
    with pytest.raises(FieldError):
        _plan(width=96).validate()
    _plan(width=96, stage2=None).validate()  # single stage: multiples of 32 are fine


def test_first_frame_image_is_re_encoded_at_full_size_in_stage2(tiny_components, prompts):
    """Image conditions are applied at half size in stage 1 and re-encoded (CRF 33 round trip,
    VAE) at full size for stage 2, so the final first latent frame is the full-size encoding."""
    from ltx_serve.pipelines.conditioning import ImageCondition
    from ltx_serve.pipelines.encode import encode_image

    c = tiny_components
    img = torch.randint(0, 256, (96, 160, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    item = ImageCondition(img, frame_index=0, strength=1.0, crf=33)
    seen: list[str] = []
    plan = _plan(
        prompt=prompts[0],
        stage1=StagePlan(schedule="distilled", steps=8),
        conditions=(item,),
        output="decoded",
        on_step=lambda stage, step, total, sigma: seen.append(f"{stage}:{step}/{total}"),
    )
    out = generate(c, plan)
    torch.testing.assert_close(out.video_latent[:, :, :1], encode_image(c.vae, item, H, W))
    assert seen == [f"stage1:{i}/8" for i in range(8)] + [f"stage2:{i}/3" for i in range(3)]
    frames = torch.cat(list(out.frames))
    assert frames.shape == (FRAMES, H, W, 3) and frames.dtype == torch.uint8
    assert out.sample_rate == 48000 and out.waveform.shape[0] == 2
