"""Output size, frame count, fps and megapixel rules a caller sees in the returned video."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ltx_serve.engine import geometry as g
from ltx_serve.schemas.common import ImageSize, VideoSizePreset


@pytest.mark.parametrize(
    ("preset", "size"),
    [
        ("square_hd", (1024, 1024)),
        ("square", (512, 512)),
        ("portrait_4_3", (768, 1024)),
        ("portrait_16_9", (576, 1024)),
        ("landscape_4_3", (1024, 768)),
        ("landscape_16_9", (1024, 576)),
    ],
)
def test_presets_match_fal(preset: str, size: tuple[int, int]) -> None:
    assert g.requested_size(VideoSizePreset(preset)) == size
    assert g.requested_size(preset) == size


def test_auto_and_custom_sizes() -> None:
    assert g.requested_size(VideoSizePreset.AUTO) is None
    assert g.requested_size(ImageSize(width=1280, height=720)) == (1280, 720)
    assert g.requested_size({"width": 640, "height": 480}) == (640, 480)
    with pytest.raises(ValueError):
        g.requested_size("huge")


def test_720p_cap_keeps_aspect_and_never_upscales() -> None:
    w, h = g.cap_short_side(1920, 1080)
    assert h == 704 and w == pytest.approx(1920 * 704 / 1080)
    assert g.cap_short_side(640, 360) == (640, 360)
    w, h = g.cap_short_side(1080, 1920)
    assert w == 704


def test_video_to_video_1280x720_gives_fal_1248x704() -> None:
    """fal's own example response for a 720p source: 1248x704 (32-aligned, short side 704)."""
    size = g.video_to_video_size(VideoSizePreset.AUTO, source=(1280, 720), two_stage=True)
    assert size.output == (1248, 704)
    # multiscale generates on a 64 grid and crops back
    assert size.generation == (1280, 704)
    assert size.needs_crop


def test_video_to_video_explicit_size_single_stage_no_crop() -> None:
    size = g.video_to_video_size(ImageSize(width=640, height=352), source=(1920, 1080), two_stage=False)
    assert size.output == size.generation == (640, 352)


@pytest.mark.parametrize(("w", "h"), [(1920, 1080), (1080, 1920), (4000, 3000), (100, 100), (33, 700)])
def test_every_output_is_aligned_and_capped(w: int, h: int) -> None:
    for size in (
        g.video_to_video_size({"width": w, "height": h}, source=(w, h), two_stage=True),
        g.reference_video_size({"width": w, "height": h}, source=(w, h), direct_control=True),
        g.audio_to_video_size({"width": w, "height": h}, image=None),
    ):
        assert min(size.output) <= g.MAX_SHORT_SIDE
        assert size.width % 32 == 0 and size.height % 32 == 0
        assert size.gen_width % 64 == 0 and size.gen_height % 64 == 0
        assert size.gen_width >= size.width and size.gen_height >= size.height


def test_reference_auto_builtin_control_is_union_workflow_size() -> None:
    assert g.reference_video_size("auto", source=(1920, 1080), direct_control=False).output == (896, 512)
    assert g.reference_video_size("auto", source=(1080, 1920), direct_control=False).output == (512, 896)


def test_reference_auto_direct_control_follows_source() -> None:
    size = g.reference_video_size("auto", source=(1280, 720), direct_control=True)
    assert size.output == (1280, 704)  # capped to 704, 64-aligned
    small = g.reference_video_size("auto", source=(640, 360), direct_control=True)
    assert small.output == (640, 384)


def test_reference_explicit_size_is_64_aligned() -> None:
    size = g.reference_video_size(
        ImageSize(width=1000, height=600), source=(1920, 1080), direct_control=False
    )
    assert size.output == (1024, 576)
    assert not size.needs_crop


def test_audio_to_video_auto() -> None:
    assert g.audio_to_video_size("auto", image=None).output == g.AUDIO_TO_VIDEO_FALLBACK
    portrait = g.audio_to_video_size("auto", image=(600, 900))
    assert portrait.height > portrait.width
    assert portrait.width / portrait.height == pytest.approx(600 / 900, rel=0.08)
    square = g.audio_to_video_size("auto", image=(300, 300))
    assert square.width == square.height


@pytest.mark.parametrize(
    ("asked", "used"), [(9, 9), (12, 9), (13, 17), (100, 97), (121, 121), (481, 481), (480, 481)]
)
def test_explicit_frames_nearest_8k1(asked: int, used: int) -> None:
    assert g.explicit_frames(asked).num_frames == used


def test_frames_from_duration_floor() -> None:
    assert g.frames_from_duration(5.0, 24).num_frames == 113  # 120 whole frames -> 113
    assert g.frames_from_duration(5.05, 24).num_frames == 121
    assert g.frames_from_duration(0.1, 24).num_frames == 9  # too short: minimum
    assert g.frames_from_duration(60.0, 30).num_frames == 481  # too long: maximum


def test_ic_lora_budget_720p_class_is_capped_at_145() -> None:
    assert g.ic_lora_frame_cap(1280, 704) == 145
    assert g.ic_lora_frame_cap(704, 1280) == 145
    assert g.ic_lora_frame_cap(896, 512) == 289
    assert g.ic_lora_frame_cap(512, 512) == 481
    capped = g.cap_ic_lora_frames(g.explicit_frames(241), 1280, 704)
    assert capped.num_frames == 145 and capped.capped and capped.requested == 241
    kept = g.cap_ic_lora_frames(g.explicit_frames(241), 896, 512)
    assert kept.num_frames == 241 and not kept.capped


def test_output_fps() -> None:
    assert g.output_fps(24, Fraction(30000, 1001), match_input=True) == Fraction(30000, 1001)
    assert g.output_fps(24, Fraction(30), match_input=False) == 24
    assert g.output_fps(24, Fraction(120), match_input=True) == 60
    assert g.output_fps(25, None, match_input=True) == 25


def test_megapixels_is_fal_billing_unit() -> None:
    assert g.megapixels(1280, 720, 121) == pytest.approx(111.5136)
