"""Sampler behaviour a user would notice: passes per step, progress, cancel, V2V strength,
audio-to-video freezing, input-video strength, validation."""

from __future__ import annotations

import itertools

import pytest
import torch

from ltx_serve.errors import FieldError, JobCancelled
from ltx_serve.pipelines.conditioning import InitialVideo, InputVideo, LatentAudio
from ltx_serve.pipelines.encode import cover_resize, vae_encode
from ltx_serve.pipelines.guidance import Guidance, GuidanceParams, Pass
from ltx_serve.pipelines.plan import GenerationPlan, StagePlan
from ltx_serve.pipelines.sampler import generate

W = H = 64
FRAMES = 9
FPS = 24.0


@pytest.fixture
def make_plan(prompts):
    """Plans with pre-encoded prompts (the text path is covered by the parity tests)."""

    def make(stage1: StagePlan, **kw) -> GenerationPlan:
        return _plan(stage1, prompt=prompts[0], negative_prompt=prompts[1], **kw)

    return make


def _plan(stage1: StagePlan, **kw) -> GenerationPlan:
    base = dict(
        width=W,
        height=H,
        num_frames=FRAMES,
        fps=FPS,
        seed=1,
        prompt="rain on a window",
        negative_prompt="low quality",
        stage1=stage1,
        max_sequence_length=128,
        output="latents",
    )
    base.update(kw)
    return GenerationPlan(**base)


@pytest.mark.parametrize(
    ("video", "audio", "expected"),
    [
        (GuidanceParams(), GuidanceParams(), (Pass.COND,)),
        (GuidanceParams(cfg=3.0), GuidanceParams(), (Pass.COND, Pass.UNCOND)),
        (GuidanceParams(), GuidanceParams(stg=1.0), (Pass.COND, Pass.PERTURBED)),
        (GuidanceParams(modality=3.0), GuidanceParams(), (Pass.COND, Pass.ISOLATED)),
        (GuidanceParams(3.0, 1.0, 3.0, 0.7), GuidanceParams(7.0, 1.0, 3.0, 0.7), tuple(Pass)),
    ],
)
def test_each_neutral_scale_skips_its_pass_and_passes_share_one_call(
    make_plan, tiny_components, call_counter, video, audio, expected
):
    g = Guidance(video=video, audio=audio, stg_blocks=(1,))
    assert g.passes() == expected
    with call_counter(tiny_components.transformer) as calls:
        generate(tiny_components, make_plan(StagePlan(schedule="ltx2", steps=3, guidance=g)))
    assert calls.batch_sizes == [len(expected)] * 3


def test_progress_callback_and_cancel_between_steps(make_plan, tiny_components, call_counter):
    seen: list[tuple[str, int, int, float]] = []
    generate(
        tiny_components,
        make_plan(StagePlan(schedule="linear_quadratic", steps=4), on_step=lambda *a: seen.append(a)),
    )
    assert [(s, i, n) for s, i, n, _ in seen] == [("stage1", i, 4) for i in range(4)]
    assert seen[0][3] == pytest.approx(1.0) and all(a[3] > b[3] for a, b in itertools.pairwise(seen))

    state = {"n": 0}

    def cancel_after_two() -> None:
        state["n"] += 1
        if state["n"] > 2:
            raise JobCancelled()

    with call_counter(tiny_components.transformer) as calls, pytest.raises(JobCancelled):
        generate(tiny_components, make_plan(StagePlan(steps=10), check_cancel=cancel_after_two))
    assert calls.calls == 2


def _video(seed: int) -> torch.Tensor:
    return torch.randint(
        0, 256, (FRAMES, H, W, 3), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8
    )


def test_video_to_video_strength_skips_steps_and_stays_near_the_input(
    make_plan, tiny_components, call_counter
):
    c = tiny_components
    frames = _video(0)
    encoded = vae_encode(c.vae, cover_resize(frames, H, W))
    dist = {}
    for strength, expected_calls in [(0.25, 2), (0.5, 4), (1.0, 8)]:
        with call_counter(c.transformer) as calls:
            out = generate(
                c,
                make_plan(StagePlan(schedule="ltx2", steps=8), conditions=(InitialVideo(frames, strength),)),
            )
        assert calls.calls == expected_calls
        dist[strength] = (out.video_latent - encoded).pow(2).mean().item()
    assert dist[0.25] < dist[0.5] < dist[1.0]


def test_audio_to_video_keeps_the_input_audio_frozen(make_plan, tiny_components):
    c = tiny_components
    frames_a = round(FRAMES / FPS * 25)
    tokens = torch.randn(
        1, frames_a, c.transformer.config.audio_in_channels, generator=torch.Generator().manual_seed(4)
    )
    plan = make_plan(
        StagePlan(steps=3, guidance=Guidance(video=GuidanceParams(cfg=3.0, modality=3.0))),
        conditions=(LatentAudio(tokens, strength=1.0),),
        output="decoded",
    )
    out = generate(c, plan)
    assert out.audio_frozen and out.waveform is None
    assert torch.equal(out.audio_latent, tokens)
    frames = torch.cat(list(out.frames))
    assert frames.shape == (FRAMES, H, W, 3) and frames.dtype == torch.uint8


def test_input_video_strength_one_returns_the_encoded_video(make_plan, tiny_components):
    c = tiny_components
    frames = _video(2)
    out = generate(c, make_plan(StagePlan(steps=3), conditions=(InputVideo(frames, strength=1.0),)))
    torch.testing.assert_close(out.video_latent, vae_encode(c.vae, cover_resize(frames, H, W)))
    partial = generate(c, make_plan(StagePlan(steps=3), conditions=(InputVideo(frames, strength=0.5),)))
    assert not torch.allclose(partial.video_latent, out.video_latent, atol=1e-3)


def test_steppers_plug_into_the_sampler(make_plan, tiny_components, call_counter):
    stage = StagePlan(schedule="ltx2", steps=8, stepper="restart")
    with call_counter(tiny_components.transformer) as calls:
        generate(tiny_components, make_plan(stage))
    assert calls.calls == 8 + 3  # one restart of 3 steps
    a = generate(tiny_components, make_plan(StagePlan(steps=4, stepper="euler_ancestral"))).video_latent
    b = generate(tiny_components, make_plan(StagePlan(steps=4, stepper="euler_ancestral"))).video_latent
    assert torch.equal(a, b)  # seeded


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"num_frames": 10}, "num_frames"), ({"width": 70}, "width"), ({"fps": 0.0}, "fps")],
)
def test_invalid_plans_fail_before_running(make_plan, tiny_components, call_counter, kw, field):
    with call_counter(tiny_components.transformer) as calls, pytest.raises(FieldError) as err:
        generate(tiny_components, make_plan(StagePlan(steps=2), **kw))
    assert err.value.field == field and calls.calls == 0
