"""Two-stage distilled flow vs Lightricks' ltx-pipelines on the same tiny single-file checkpoint.

ltx-core builds its own models (`ModelLedger`: `X0Model` transformer, video encoder, spatial
upsampler) from the tiny Lightricks-format files that `make_tiny` writes; we load the same files
into diffusers classes with `load_components`. The flow is `DistilledPipeline.__call__`'s,
step for step, through ltx-pipelines' own helpers (`denoise_audio_video`, `euler_denoising_loop`,
`simple_denoising_func`, `GaussianNoiser`, `upsample_video`), with two bypasses:

- dtype float32 instead of the pipeline's hard-coded bfloat16 (so the comparison is not bf16 noise);
- text: ltx-core's Gemma is hard-wired to the 12B config, so `encode_prompts` is not called; both
  sides get the same video/audio contexts, produced by our tiny Gemma + diffusers connectors.

Same seed on both sides: the noise comes from one `torch.Generator` in the same order (stage-1
video, stage-1 audio, stage-2 video, stage-2 audio). Tolerance 2e-4 absolute.
"""

from __future__ import annotations

import pytest
import torch

from ltx_serve.pipelines.latents import unpack_audio
from ltx_serve.pipelines.plan import GenerationPlan, StagePlan, stage2_default
from ltx_serve.pipelines.sampler import generate

pytestmark = [pytest.mark.parity, pytest.mark.slow]

W = H = 128
FRAMES = 17
FPS = 24.0
SEED = 21


@pytest.fixture(scope="module")
def distilled(tiny_weights_dir):
    from ltx_serve.models.components import load_components

    return tiny_weights_dir, load_components(tiny_weights_dir, dtype=torch.float32, variant="distilled")


def test_distilled_two_stage_matches_ltx_pipelines(distilled):
    from ltx_core.components.diffusion_steps import EulerDiffusionStep
    from ltx_core.components.noisers import GaussianNoiser
    from ltx_core.model.upsampler import upsample_video
    from ltx_core.types import VideoPixelShape
    from ltx_pipelines.utils import ModelLedger
    from ltx_pipelines.utils.constants import DISTILLED_SIGMA_VALUES, STAGE_2_DISTILLED_SIGMA_VALUES
    from ltx_pipelines.utils.helpers import denoise_audio_video
    from ltx_pipelines.utils.types import PipelineComponents

    from ltx_serve.models import catalog
    from ltx_serve.pipelines.text import encode_prompt

    folder, c = distilled
    emb = encode_prompt(c, "a sailing boat at sea", 128)

    ours = generate(
        c,
        GenerationPlan(
            width=W,
            height=H,
            num_frames=FRAMES,
            fps=FPS,
            seed=SEED,
            prompt=emb,
            stage1=StagePlan(schedule="distilled", steps=8),
            stage2=stage2_default(),
            output="latents",
        ),
    )

    cpu, f32 = torch.device("cpu"), torch.float32
    ledger = ModelLedger(
        dtype=f32,
        device=cpu,
        checkpoint_path=str(folder / catalog.BY_KEY["distilled"].filename),
        spatial_upsampler_path=str(folder / catalog.BY_KEY["spatial_upscaler"].filename),
    )
    transformer, encoder = ledger.transformer(), ledger.video_encoder()
    components = PipelineComponents(dtype=f32, device=cpu)
    noiser = GaussianNoiser(generator=torch.Generator(device=cpu).manual_seed(SEED))
    stepper = EulerDiffusionStep()

    loop = _euler_loop(emb, transformer)

    with torch.no_grad():
        v1, a1 = denoise_audio_video(
            VideoPixelShape(batch=1, frames=FRAMES, width=W // 2, height=H // 2, fps=FPS),
            [],
            noiser,
            torch.tensor(DISTILLED_SIGMA_VALUES),
            stepper,
            loop,
            components,
            f32,
            cpu,
        )
        up = upsample_video(latent=v1.latent[:1], video_encoder=encoder, upsampler=ledger.spatial_upsampler())
        s2 = torch.tensor(STAGE_2_DISTILLED_SIGMA_VALUES)
        v2, a2 = denoise_audio_video(
            VideoPixelShape(batch=1, frames=FRAMES, width=W, height=H, fps=FPS),
            [],
            noiser,
            s2,
            stepper,
            loop,
            components,
            f32,
            cpu,
            noise_scale=s2[0],
            initial_video_latent=up,
            initial_audio_latent=a1.latent,
        )

    torch.testing.assert_close(ours.video_latent, v2.latent.float(), atol=2e-4, rtol=0)
    audio = unpack_audio(ours.audio_latent, c.audio_vae.config.mel_bins // 4)
    torch.testing.assert_close(audio, a2.latent.float(), atol=2e-4, rtol=0)


def _euler_loop(emb, transformer):
    """ltx-pipelines' plain Euler loop over its simple denoising function, for these contexts."""
    from ltx_pipelines.utils import euler_denoising_loop
    from ltx_pipelines.utils.helpers import simple_denoising_func

    def loop(sigmas, video_state, audio_state, stepper):
        fn = simple_denoising_func(video_context=emb.video, audio_context=emb.audio, transformer=transformer)
        return euler_denoising_loop(sigmas, video_state, audio_state, stepper, fn)

    return loop


def _items(c, attention_strength: float):
    """The same latents as our latent items and as ltx-core conditioning items."""
    from ltx_core.conditioning import (
        ConditioningItemAttentionStrengthWrapper,
        VideoConditionByKeyframeIndex,
        VideoConditionByLatentIndex,
        VideoConditionByReferenceLatent,
    )

    from ltx_serve.pipelines.conditioning import LatentFrames, LatentKeyframe, LatentReference

    g = torch.Generator().manual_seed(9)
    ch = c.transformer.config.in_channels
    first = torch.randn(1, ch, 1, H // 64, W // 64, generator=g)
    last = torch.randn(1, ch, 1, H // 64, W // 64, generator=g)
    ref = torch.randn(1, ch, 3, H // 128, W // 128, generator=g)
    ours = [
        LatentFrames(first, strength=1.0),
        LatentKeyframe(last, frame_index=FRAMES - 1, strength=0.9),
        LatentReference(ref, downscale_factor=2, strength=1.0, attention_strength=attention_strength),
    ]
    reference = VideoConditionByReferenceLatent(latent=ref, downscale_factor=2, strength=1.0)
    if attention_strength < 1.0:
        reference = ConditioningItemAttentionStrengthWrapper(reference, attention_mask=attention_strength)
    theirs = [
        VideoConditionByLatentIndex(latent=first, strength=1.0, latent_idx=0),
        VideoConditionByKeyframeIndex(keyframes=last, frame_idx=FRAMES - 1, strength=0.9),
        reference,
    ]
    return ours, theirs


@pytest.mark.parametrize("attention_strength", [1.0, 0.5])
def test_first_frame_keyframe_and_reference_match_ltx_core(distilled, attention_strength):
    """ICLoraPipeline-style stage 1 (8 distilled sigmas, CFG 1) with a first-frame latent, an
    end keyframe at strength 0.9 (partial: per-token sigma) and a half-size reference, with and
    without the attention-strength mask (ltx-core's log-space bias). Tolerance 2e-4."""
    from ltx_core.components.diffusion_steps import EulerDiffusionStep
    from ltx_core.components.noisers import GaussianNoiser
    from ltx_core.types import VideoPixelShape
    from ltx_pipelines.utils import ModelLedger
    from ltx_pipelines.utils.constants import DISTILLED_SIGMA_VALUES
    from ltx_pipelines.utils.helpers import denoise_audio_video
    from ltx_pipelines.utils.types import PipelineComponents

    from ltx_serve.models import catalog
    from ltx_serve.pipelines.text import encode_prompt

    folder, c = distilled
    emb = encode_prompt(c, "a sailing boat at sea", 128)
    ours_items, their_items = _items(c, attention_strength)
    ours = generate(
        c,
        GenerationPlan(
            width=W // 2,
            height=H // 2,
            num_frames=FRAMES,
            fps=FPS,
            seed=SEED,
            prompt=emb,
            conditions=tuple(ours_items),
            stage1=StagePlan(schedule="distilled", steps=8),
            output="latents",
        ),
    )
    cpu, f32 = torch.device("cpu"), torch.float32
    transformer = ModelLedger(
        dtype=f32, device=cpu, checkpoint_path=str(folder / catalog.BY_KEY["distilled"].filename)
    ).transformer()

    loop = _euler_loop(emb, transformer)

    with torch.no_grad():
        v, a = denoise_audio_video(
            VideoPixelShape(batch=1, frames=FRAMES, width=W // 2, height=H // 2, fps=FPS),
            their_items,
            GaussianNoiser(generator=torch.Generator(device=cpu).manual_seed(SEED)),
            torch.tensor(DISTILLED_SIGMA_VALUES),
            EulerDiffusionStep(),
            loop,
            PipelineComponents(dtype=f32, device=cpu),
            f32,
            cpu,
        )
    atol = 2e-4
    torch.testing.assert_close(ours.video_latent, v.latent.float(), atol=atol, rtol=0)
    audio = unpack_audio(ours.audio_latent, c.audio_vae.config.mel_bins // 4)
    torch.testing.assert_close(audio, a.latent.float(), atol=atol, rtol=0)


@pytest.mark.parametrize("mode", ["t2v", "a2v"])
def test_multimodal_guidance_matches_ltx_core_guider(distilled, mode):
    """Our one batched call per step vs ltx-pipelines' `multi_modal_guider_denoising_func`
    (cond, uncond, STG-perturbed and modality-isolated passes run sequentially), official 2.3
    scales (STG on block 1 of the 2-layer tiny model). `a2v` is `A2VidPipelineTwoStage`'s stage 1:
    `denoise_video_only` (audio frozen, mask 0) with the audio guider off. Tolerance 2e-4."""
    from ltx_core.components.diffusion_steps import EulerDiffusionStep
    from ltx_core.components.guiders import MultiModalGuider, MultiModalGuiderParams
    from ltx_core.components.noisers import GaussianNoiser
    from ltx_core.components.schedulers import LTX2Scheduler
    from ltx_core.types import VideoPixelShape
    from ltx_pipelines.utils import ModelLedger, euler_denoising_loop
    from ltx_pipelines.utils.helpers import (
        denoise_audio_video,
        denoise_video_only,
        multi_modal_guider_denoising_func,
    )
    from ltx_pipelines.utils.types import PipelineComponents

    from ltx_serve.models import catalog
    from ltx_serve.pipelines.conditioning import LatentAudio
    from ltx_serve.pipelines.guidance import Guidance, GuidanceParams
    from ltx_serve.pipelines.text import encode_prompts

    folder, c = distilled
    pos, neg = encode_prompts(c, ["a sailing boat at sea", "blurry"], 128)
    steps = 4
    a_frames = round(FRAMES / FPS * 25)
    audio_in = torch.randn(1, c.audio_vae.config.latent_channels, a_frames, c.audio_vae.config.mel_bins // 4)
    video_p = MultiModalGuiderParams(
        cfg_scale=3.0, stg_scale=1.0, stg_blocks=[1], rescale_scale=0.7, modality_scale=3.0
    )
    audio_p = MultiModalGuiderParams(
        cfg_scale=7.0, stg_scale=1.0, stg_blocks=[1], rescale_scale=0.7, modality_scale=3.0
    )
    if mode == "a2v":
        audio_p = MultiModalGuiderParams()
    ours_guidance = Guidance(
        video=GuidanceParams(3.0, 1.0, 3.0, 0.7),
        audio=GuidanceParams(7.0, 1.0, 3.0, 0.7) if mode == "t2v" else GuidanceParams(),
        stg_blocks=(1,),
    )
    from ltx_serve.pipelines.latents import pack_audio

    conditions = (LatentAudio(pack_audio(audio_in), strength=1.0),) if mode == "a2v" else ()
    ours = generate(
        c,
        GenerationPlan(
            width=W // 2,
            height=H // 2,
            num_frames=FRAMES,
            fps=FPS,
            seed=SEED,
            prompt=pos,
            negative_prompt=neg,
            conditions=conditions,
            stage1=StagePlan(schedule="ltx2", steps=steps, guidance=ours_guidance),
            output="latents",
        ),
    )

    cpu, f32 = torch.device("cpu"), torch.float32
    transformer = ModelLedger(
        dtype=f32, device=cpu, checkpoint_path=str(folder / catalog.BY_KEY["distilled"].filename)
    ).transformer()

    def loop(sigmas, video_state, audio_state, stepper):
        fn = multi_modal_guider_denoising_func(
            MultiModalGuider(params=video_p, negative_context=neg.video),
            MultiModalGuider(params=audio_p, negative_context=neg.audio),
            v_context=pos.video,
            a_context=pos.audio,
            transformer=transformer,
        )
        return euler_denoising_loop(sigmas, video_state, audio_state, stepper, fn)

    args = (
        VideoPixelShape(batch=1, frames=FRAMES, width=W // 2, height=H // 2, fps=FPS),
        [],
        GaussianNoiser(generator=torch.Generator(device=cpu).manual_seed(SEED)),
        LTX2Scheduler().execute(steps),
        EulerDiffusionStep(),
        loop,
        PipelineComponents(dtype=f32, device=cpu),
        f32,
        cpu,
    )
    with torch.no_grad():
        if mode == "a2v":
            v = denoise_video_only(*args, initial_audio_latent=audio_in)
            assert ours.audio_frozen and torch.equal(ours.audio_latent, pack_audio(audio_in))
        else:
            v, a = denoise_audio_video(*args)
            audio = unpack_audio(ours.audio_latent, c.audio_vae.config.mel_bins // 4)
            torch.testing.assert_close(audio, a.latent.float(), atol=2e-4, rtol=0)
    torch.testing.assert_close(ours.video_latent, v.latent.float(), atol=2e-4, rtol=0)
