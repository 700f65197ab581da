from fractions import Fraction

import pytest

from ltx_serve.media.timing import (
    as_fraction,
    clamp_frame_count,
    floor_8k1,
    is_8k1,
    nearest_8k1,
    resolve_timing,
)


@pytest.mark.parametrize(
    ("n", "expected"), [(1, 1), (8, 1), (9, 9), (16, 9), (17, 17), (121, 121), (128, 121)]
)
def test_floor_8k1(n: int, expected: int) -> None:
    assert floor_8k1(n) == expected
    assert is_8k1(floor_8k1(n))


def test_nearest_8k1_rounds_to_closest() -> None:
    assert nearest_8k1(124) == 121
    assert nearest_8k1(126) == 129


@pytest.mark.parametrize(("n", "expected"), [(0, 9), (5, 9), (9, 9), (250, 249), (481, 481), (10_000, 481)])
def test_clamp_frame_count_stays_in_fal_range(n: int, expected: int) -> None:
    assert clamp_frame_count(n) == expected


@pytest.mark.parametrize(
    ("fps", "expected"),
    [
        (23.976, Fraction(24000, 1001)),
        (29.97, Fraction(30000, 1001)),
        (59.94, Fraction(60000, 1001)),
        (25, 25),
    ],
)
def test_decimal_ntsc_rates_become_exact_fractions(fps: float, expected: Fraction) -> None:
    assert as_fraction(fps) == expected


def test_match_video_length_uses_duration_and_source_fps() -> None:
    timing = resolve_timing(
        requested_fps=24,
        requested_num_frames=121,
        source_fps=Fraction(30000, 1001),
        source_duration=5.0,
        match_fps=True,
        match_length=True,
    )
    assert timing.fps == Fraction(30000, 1001)
    # 5 s * 29.97 = 149.85 -> 149 whole frames -> 145 (8k+1, never longer than the source)
    assert timing.num_frames == 145
    assert timing.duration <= 5.0


def test_without_matching_the_request_wins() -> None:
    timing = resolve_timing(
        requested_fps=24, requested_num_frames=57, source_fps=Fraction(50), source_duration=30.0
    )
    assert (timing.fps, timing.num_frames) == (24, 57)


def test_fast_sources_are_clamped_to_60_fps_and_long_ones_to_481_frames() -> None:
    timing = resolve_timing(
        requested_fps=24,
        requested_num_frames=121,
        source_fps=Fraction(120),
        source_duration=60.0,
        match_fps=True,
        match_length=True,
    )
    assert timing.fps == 60
    assert timing.num_frames == 481
