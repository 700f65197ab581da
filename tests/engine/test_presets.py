"""Every request field changes the sampler recipe the way docs/endpoints.md says (no model)."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest

from ltx_serve.engine import recipes as p
from ltx_serve.schemas.audio_to_video import AudioToVideoInput
from ltx_serve.schemas.reference_video_to_video import ReferenceVideoToVideoInput
from ltx_serve.schemas.reference_video_to_video_lora import ReferenceVideoToVideoLoraInput
from ltx_serve.schemas.video_to_video import VideoToVideoInput

URL = "https://example.com/a.mp4"
FACTS = p.MediaFacts(video_size=(1280, 720), video_fps=Fraction(30), video_duration=4.0, video_has_audio=True)


def ref(**kw: Any) -> p.Recipe:
    return p.build_recipe(
        p.REFERENCE_ENDPOINT, ReferenceVideoToVideoInput(prompt="x", video_url=URL, **kw), FACTS
    )


def v2v(facts: p.MediaFacts = FACTS, **kw: Any) -> p.Recipe:
    return p.build_recipe(
        p.VIDEO_TO_VIDEO_ENDPOINT, VideoToVideoInput(prompt="x", video_url=URL, **kw), facts
    )


def a2v(facts: p.MediaFacts | None = None, **kw: Any) -> p.Recipe:
    facts = facts or p.MediaFacts(audio_duration=3.0)
    return p.build_recipe(
        p.AUDIO_TO_VIDEO_ENDPOINT, AudioToVideoInput(prompt="x", audio_url=URL, **kw), facts
    )


# ----------------------------------------------------------------------------- schedules


def test_distilled_curve_8_is_upstream_and_more_steps_refine_it() -> None:
    assert p.distilled_curve(8) == p.DISTILLED_SIGMAS
    s15 = p.distilled_curve(15)
    assert len(s15) == 16 and s15[0] == 1.0 and s15[-1] == 0.0
    assert all(a > b for a, b in itertools.pairwise(s15))
    # the 16-step curve passes through every upstream sigma
    assert set(p.DISTILLED_SIGMAS) <= set(p.distilled_curve(16))


def test_trim_sigmas() -> None:
    s = p.distilled_curve(10)
    assert p.trim_sigmas(s, 1.0) == s
    assert p.trim_sigmas(s, 0.5) == s[5:]
    assert len(p.trim_sigmas(s, 0.01)) == 2  # at least one step


# ----------------------------------------------------------------------------- reference


def test_reference_default_is_union_workflow() -> None:
    r = ref()
    assert (r.width, r.height) == (896, 512)
    assert r.num_frames == 121 and r.fps == 24
    assert r.stage2 is None
    assert dict(r.stage1.loras) == {p.DISTILLED_LORA: 0.5, p.UNION_LORA: 1.0}
    assert r.stage1.stepper == "euler_ancestral"
    assert r.stage1.steps == 15 and r.stage1.sigmas == p.distilled_curve(15)
    assert r.stage1.model_passes() == 1  # CFG 1: no negative pass
    assert r.negative_prompt is None
    (reference,) = [c for c in r.conditions if isinstance(c, p.Reference)]
    assert reference.downscale_factor == 2 and reference.attention_strength == 0.6


def test_reference_fields_change_recipe() -> None:
    assert ref(num_inference_steps=8).stage1.sigmas == p.DISTILLED_SIGMAS
    guided = ref(guidance_scale=4, negative_prompt="ugly")
    assert guided.stage1.video.cfg == 4 and guided.stage1.audio.cfg == 4
    assert guided.negative_prompt == "ugly" and guided.stage1.model_passes() == 2
    assert ref(video_strength=0.2).conditions[0].attention_strength == 0.2  # type: ignore[union-attr]
    assert ref(strength=0.5).stage1.steps == 7  # 15 steps, the first round(7.5)=8 skipped
    assert not ref(generate_audio=False).mux_audio
    assert ref(frames_per_second=30).fps == 30
    assert ref(num_frames=49).num_frames == 49
    assert (ref(resolution="square").width, ref(resolution="square").height) == (512, 512)
    assert ref(resolution={"width": 1920, "height": 1080}).height == 704


def test_reference_preserve_original_video_starts_from_video() -> None:
    r = ref(
        preserve_original_video=True,
        skip_control_preprocess=True,
        control_video_url=URL,
        strength=0.5,
    )
    assert p.StartFromVideo(0.5) in r.conditions
    assert r.stage1.steps == 15  # the sampler skips steps itself for a start latent
    # direct control + auto follows the source size
    assert (r.width, r.height) == (1280, 704)


def test_reference_keyframes() -> None:
    r = ref(image_url=URL, mid_image_url=URL, end_image_url=URL, num_frames=121)
    keys = [c for c in r.conditions if isinstance(c, p.Keyframe)]
    assert [(k.field, k.frame_index) for k in keys] == [
        ("image_url", 0),
        ("mid_image_url", 56),
        ("end_image_url", 120),
    ]


def test_reference_frame_budget_caps_720p_class() -> None:
    r = ref(resolution={"width": 1280, "height": 720}, num_frames=241)
    assert r.num_frames == 145 and r.notes
    assert ref(num_frames=241).num_frames == 241  # 896x512 runs longer


def test_lora_endpoint_adds_user_loras() -> None:
    req = ReferenceVideoToVideoLoraInput(
        prompt="x",
        video_url=URL,
        loras=[{"path": URL, "scale": 0.7, "transformer": "video"}, {"path": URL + "2", "scale": 1.2}],
    )
    r = p.build_recipe(p.REFERENCE_LORA_ENDPOINT, req, FACTS)
    assert dict(r.stage1.loras)["user_0"] == 0.7 and dict(r.stage1.loras)["user_1"] == 1.2
    assert [u.transformer for u in r.user_loras] == ["video", "both"]
    assert r.endpoint_id == p.REFERENCE_LORA_ENDPOINT


# ----------------------------------------------------------------------------- video-to-video


def test_v2v_defaults() -> None:
    r = v2v()
    assert (r.width, r.height, r.gen_width, r.gen_height) == (1248, 704, 1280, 704)
    assert r.fps == 30  # match_input_fps
    assert r.num_frames == 113  # 4 s x 30 fps = 120 -> 113
    assert r.stage1.schedule == "beta" and r.stage1.steps == 15 and r.stage1.stepper == "restart"
    assert r.stage1.video == p.Scales(cfg=3, stg=1, modality=3, rescale=0.85)
    assert r.stage1.audio == p.Scales(cfg=7, stg=0, modality=3, rescale=0.7)
    assert dict(r.stage1.loras) == {p.DISTILLED_LORA: 0.2}
    assert r.stage2 is not None and dict(r.stage2.loras) == {p.DISTILLED_LORA: 0.5}
    assert r.stage2.sigmas == p.STAGE2_SIGMAS and r.stage2.model_passes() == 1
    assert p.InputVideoKeep(0.01) in r.conditions and p.InputAudioKeep("video_url", 0.01) in r.conditions
    assert r.stage1.model_passes() == 4


def test_v2v_fields_change_recipe() -> None:
    assert v2v(match_input_fps=False, fps=25).fps == 25
    assert v2v(match_video_length=False, num_frames=57).num_frames == 57
    assert v2v(use_multiscale=False).stage2 is None
    assert v2v(use_multiscale=False).gen_width == 1248
    assert v2v(scheduler="ltx2").stage1.schedule == "ltx2"
    assert v2v(num_inference_steps=30).stage1.steps == 30
    assert v2v(use_restart_sampling=False).stage1.stepper == "euler"
    ge = v2v(gradient_estimation_gamma=2.0)
    assert ge.stage1.stepper == "gradient_estimation" and dict(ge.stage1.stepper_options) == {"gamma": 2.0}
    assert v2v(video_cfg_scale=5).stage1.video.cfg == 5
    assert v2v(video_stg_scale=0, audio_stg_scale=0).stage1.model_passes() == 3
    assert v2v(video_rescaling_scale=0.1).stage1.video.rescale == 0.1
    assert v2v(video_modality_scale=1, audio_modality_scale=1).stage1.model_passes() == 3
    assert v2v(audio_cfg_scale=2).stage1.audio.cfg == 2
    assert v2v(audio_stg_scale=2).stage1.audio.stg == 2
    assert v2v(audio_rescaling_scale=0.3).stage1.audio.rescale == 0.3
    assert v2v(audio_modality_scale=5).stage1.audio.modality == 5
    assert v2v(negative_prompt="bad").negative_prompt == "bad"
    assert dict(v2v(distill_lora_first_pass_scale=0).stage1.loras) == {}
    assert dict(v2v(distill_lora_second_pass_scale=0.9).stage2.loras) == {p.DISTILLED_LORA: 0.9}  # type: ignore[union-attr]
    assert p.InputVideoKeep(0.4) in v2v(video_strength=0.4).conditions
    assert p.InputAudioKeep("video_url", 0.3) in v2v(audio_strength=0.3).conditions
    silent = p.MediaFacts(video_size=(640, 360), video_fps=Fraction(24), video_duration=2.0)
    assert not any(isinstance(c, p.InputAudioKeep) for c in v2v(silent).conditions)
    assert not v2v(generate_audio=False).mux_audio
    assert (v2v(video_size="landscape_4_3").width, v2v(video_size="landscape_4_3").height) == (928, 704)


def test_v2v_camera_lora() -> None:
    r = v2v(camera_lora="dolly_in", camera_lora_scale=0.6)
    assert r.camera_lora == "camera_dolly_in"
    assert dict(r.stage1.loras)["camera_dolly_in"] == 0.6
    assert dict(r.stage2.loras)["camera_dolly_in"] == 0.6  # type: ignore[union-attr]
    assert v2v(camera_lora="jib_up", camera_lora_scale=0).camera_lora is None


@pytest.mark.parametrize("level", ["none", "regular", "high", "full"])
def test_acceleration_levels_are_ordered(level: str) -> None:
    r = v2v(acceleration=level)
    assert r.acceleration == level


def test_acceleration_definitions() -> None:
    none, regular, high, full = (v2v(acceleration=a) for a in ("none", "regular", "high", "full"))

    def cost(r: p.Recipe) -> int:
        extra = 3 if r.stage1.stepper == "restart" else 0
        return (r.stage1.steps + extra) * r.stage1.model_passes()

    assert cost(none) > cost(regular) > cost(high) > cost(full)
    assert cost(none) == 4 * cost(high) and cost(none) == 9 * cost(full)  # docs/endpoints.md table
    assert regular.stage1.stepper == "euler" and regular.stage1.video.stg == 0
    assert high.stage1.steps == 9 and high.stage1.model_passes() == 2
    assert full.stage1.sigmas == p.DISTILLED_SIGMAS and dict(full.stage1.loras) == {p.DISTILLED_LORA: 1.0}
    assert full.stage1.model_passes() == 1 and full.negative_prompt is None
    # camera LoRA survives full acceleration
    cam = v2v(acceleration="full", camera_lora="static")
    assert dict(cam.stage1.loras)["camera_static"] == 1.0


# ----------------------------------------------------------------------------- audio-to-video


def test_a2v_defaults_and_fields() -> None:
    r = a2v()
    assert r.original_audio and r.stage2 is not None
    assert r.num_frames == 65  # 3 s x 24 fps = 72 -> 65
    assert (r.width, r.height) == (1024, 576)
    assert p.InputAudioKeep("audio_url", 1.0) in r.conditions
    assert r.stage1.audio == p.OFF and r.stage1.model_passes() == 1
    assert a2v(match_audio_length=False, num_frames=33).num_frames == 33
    assert a2v(frames_per_second=12).num_frames == 33  # 36 frames -> 33
    img = a2v(p.MediaFacts(audio_duration=3.0, image_size=(480, 640)), image_url=URL, image_strength=0.4)
    assert p.Keyframe("image_url", 0, 0.4) in img.conditions
    assert img.height > img.width
    assert a2v(guidance_scale=3).stage1.video.cfg == 3 and a2v(guidance_scale=3).negative_prompt
    assert a2v(num_inference_steps=8).stage1.sigmas == p.DISTILLED_SIGMAS
    assert not a2v(generate_audio=False).mux_audio
    assert (a2v(resolution="square").width, a2v(resolution="square").height) == (512, 512)
