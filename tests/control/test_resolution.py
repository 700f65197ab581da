import pytest

from ltx_serve.control.resolution import align_to_grid, auto_control_size


def test_16_9_source_gives_896x512() -> None:
    size = auto_control_size(1920, 1080)
    assert size.output == (896, 512)
    assert size.annotator == (910, 512)
    assert size.reference == (967, 544)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ((1920, 1080), (896, 512)),
        ((1280, 720), (896, 512)),
        ((1080, 1920), (512, 896)),
        ((1440, 1080), (640, 512)),
        ((1080, 1080), (512, 512)),
        ((1920, 816), (1152, 512)),
    ],
)
def test_research_note_table(source: tuple[int, int], expected: tuple[int, int]) -> None:
    """The Canny/pose column of the note's A4 table (official workflow sizes)."""
    out = auto_control_size(*source).output
    assert out == expected
    assert out[0] % 64 == 0 and out[1] % 64 == 0


def test_small_sources_are_upscaled_to_the_grid() -> None:
    assert auto_control_size(320, 180).output == (896, 512)


@pytest.mark.parametrize(
    ("size", "expected"), [((1280, 720), (1280, 704)), ((1920, 1080), (1920, 1024)), ((100, 30), (64, 64))]
)
def test_explicit_sizes_snap_to_the_64_grid(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert align_to_grid(*size) == expected
