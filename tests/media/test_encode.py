from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from ltx_serve.media.decode import decode_video
from ltx_serve.media.encode import FORMATS, VideoWriter
from ltx_serve.media.probe import probe
from tests.media import synth

TYPES = list(FORMATS)
NTSC = Fraction(24000, 1001)


@pytest.mark.parametrize("fps", [24, NTSC], ids=["24", "23.976"])
@pytest.mark.parametrize("output_type", TYPES)
def test_roundtrip_every_output_type(output_type: str, fps: Fraction, tmp_path: Path) -> None:
    frames = synth.moving_shapes(25, 96, 64)
    path = tmp_path / f"out{FORMATS[output_type].extension}"
    with VideoWriter(
        path, width=96, height=64, fps=fps, output_type=output_type, audio_sample_rate=48_000
    ) as w:
        w.write(frames[:9])
        w.write_audio(synth.tone(3.0), 48_000)  # longer than the video: must be trimmed
        w.write(frames[9:])
    result = w.result
    assert (result.width, result.height, result.num_frames) == (96, 64, 25)
    assert result.file_size == path.stat().st_size > 0
    assert result.content_type == FORMATS[output_type].content_type
    assert result.duration == pytest.approx(25 / float(fps))

    info = probe(path, "video")
    assert info.video is not None
    assert (info.video.width, info.video.height) == (96, 64)
    frame_period = 1 / float(fps)
    if output_type == "GIF (.gif)":
        assert info.audio is None and not result.has_audio  # GIF cannot carry sound
        assert abs(info.video.duration - result.duration) <= frame_period
        decoded = decode_video(path, "video", fps=fps, num_frames=25)
    else:
        assert info.video.fps == Fraction(fps)
        assert info.audio is not None and result.has_audio
        assert info.audio.channels == 2
        assert abs(info.audio.duration - result.duration) <= frame_period
        decoded = decode_video(path, "video")
    assert decoded.num_frames == 25
    # The moving square is where it was drawn (content, not just metadata, survived).
    x0, y0, x1, y1 = synth.square_box(20, 96, 64)
    assert decoded.frames[20, y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].mean() > 200


@pytest.mark.parametrize("output_type", ["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)"])
def test_no_audio_track_when_audio_is_off(output_type: str, tmp_path: Path) -> None:
    path = tmp_path / f"silent{FORMATS[output_type].extension}"
    with VideoWriter(path, width=32, height=32, fps=24, output_type=output_type) as w:
        w.write(synth.moving_shapes(9, 32, 32))
        w.write_audio(synth.tone(1.0), 48_000)  # ignored: generate_audio=False
    assert not w.result.has_audio
    assert probe(path, "video").audio is None


@pytest.mark.parametrize("output_type", TYPES)
def test_colours_are_preserved(output_type: str, tmp_path: Path) -> None:
    colour = (200, 60, 20)
    path = tmp_path / f"flat{FORMATS[output_type].extension}"
    with VideoWriter(path, width=32, height=32, fps=24, output_type=output_type) as w:
        w.write(np.full((9, 32, 32, 3), colour, np.uint8))
    decoded = decode_video(path, "video")
    assert np.abs(decoded.frames.reshape(-1, 3).mean(0) - colour).max() < 6


def test_pixel_formats_match_the_codec(tmp_path: Path) -> None:
    # FFmpeg's ProRes decoder reports 4444 as 12-bit; what matters is 4:4:4 with alpha.
    expected = {"X264 (.mp4)": "yuv420p", "VP9 (.webm)": "yuv420p", "PRORES4444 (.mov)": "yuva444p12le"}
    for output_type, pix_fmt in expected.items():
        path = tmp_path / f"p{FORMATS[output_type].extension}"
        with VideoWriter(path, width=32, height=32, fps=24, output_type=output_type) as w:
            w.write(synth.moving_shapes(9, 32, 32))
        with av.open(str(path)) as c:
            assert c.streams.video[0].codec_context.pix_fmt == pix_fmt
    with av.open(str(tmp_path / "p.mov")) as c:
        assert c.streams.video[0].codec_context.profile == "4444"


@pytest.mark.parametrize("output_type", TYPES)
def test_odd_sizes(output_type: str, tmp_path: Path) -> None:
    """H.264 (yuv420p) is padded to even sizes; the other codecs keep the odd size."""
    frames = synth.moving_shapes(9, 65, 33)
    path = tmp_path / f"odd{FORMATS[output_type].extension}"
    with VideoWriter(path, width=65, height=33, fps=24, output_type=output_type) as w:
        w.write(frames)
    expected = (66, 34) if output_type == "X264 (.mp4)" else (65, 33)
    assert (w.result.width, w.result.height) == expected
    decoded = decode_video(path, "video")
    assert decoded.frames.shape == (9, expected[1], expected[0], 3)


def test_quality_presets_change_the_file_size(tmp_path: Path) -> None:
    frames = np.clip(np.random.default_rng(0).normal(120, 30, (9, 64, 64, 3)), 0, 255).astype(np.uint8)
    sizes = {}
    for quality in ("low", "maximum"):
        with VideoWriter(tmp_path / f"{quality}.mp4", width=64, height=64, fps=24, quality=quality) as w:
            w.write(frames)
        sizes[quality] = w.result.file_size
    assert sizes["maximum"] > 2 * sizes["low"]


def test_frames_reach_the_disk_before_close(tmp_path: Path) -> None:
    path = tmp_path / "stream.mp4"
    rng = np.random.default_rng(0)
    writer = VideoWriter(path, width=64, height=64, fps=24, write_mode="fast")
    for _ in range(8):
        writer.write(rng.integers(0, 255, (16, 64, 64, 3), np.uint8))
    assert path.stat().st_size > 100_000  # encoded data is already on disk
    writer.close()


def test_failure_inside_the_block_removes_the_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError), VideoWriter(path, width=32, height=32, fps=24) as w:
        w.write(synth.moving_shapes(9, 32, 32))
        raise RuntimeError("decoder crashed")
    assert not path.exists()


def test_wrong_frame_shape_is_rejected(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match="expected frames"),
        VideoWriter(tmp_path / "x.mp4", width=32, height=32, fps=24) as w,
    ):
        w.write(np.zeros((2, 16, 16, 3), np.uint8))


@pytest.mark.parametrize("output_type", ["X264 (.mp4)", "VP9 (.webm)"])
def test_small_write_mode_gives_smaller_files(output_type: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = np.clip(synth.moving_shapes(17, 96, 64) + rng.normal(0, 8, (17, 64, 96, 3)), 0, 255).astype(
        np.uint8
    )
    sizes = {}
    for mode in ("balanced", "small"):
        path = tmp_path / f"{mode}{FORMATS[output_type].extension}"
        with VideoWriter(path, width=96, height=64, fps=24, output_type=output_type, write_mode=mode) as w:
            w.write(frames)
        sizes[mode] = w.result.file_size
    assert sizes["small"] < sizes["balanced"]


@pytest.mark.parametrize("output_type", ["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)"])
def test_audio_stays_in_sync_with_the_video(output_type: str, tmp_path: Path) -> None:
    """A click at 0.5 s is heard at 0.5 s: encoder priming (AAC 1024 samples) is hidden."""
    from ltx_serve.media.audio import decode_audio

    rate = 48_000
    click = np.zeros((2, rate), np.float32)
    click[:, rate // 2 : rate // 2 + 48] = 0.9
    path = tmp_path / f"sync{FORMATS[output_type].extension}"
    with VideoWriter(path, width=32, height=32, fps=24, output_type=output_type, audio_sample_rate=rate) as w:
        w.write(synth.moving_shapes(24, 32, 32))
        w.write_audio(click, rate)
    audio = decode_audio(path, "video", sample_rate=rate)
    onset = int(np.argmax(np.abs(audio.samples[0]) > 0.3))
    assert abs(onset / rate - 0.5) < 0.002


@pytest.mark.parametrize("fps", [24, 60])
@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_aac_track_length_matches_the_video_at_any_rate(fps: int, rate: int, tmp_path: Path) -> None:
    path = tmp_path / "len.mp4"
    with VideoWriter(path, width=32, height=32, fps=fps, audio_sample_rate=rate) as w:
        w.write(synth.moving_shapes(25, 32, 32))
        w.write_audio(synth.tone(2.0, rate), rate)
    info = probe(path, "video")
    assert info.audio is not None and info.audio.sample_rate == rate
    assert abs(info.audio.duration - w.result.duration) <= 1 / fps


def test_result_maps_onto_the_engine_seam(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "seam.mp4", width=32, height=32, fps=NTSC, audio_sample_rate=48_000) as w:
        w.write(synth.moving_shapes(9, 32, 32))
    video = w.result.to_generated()
    assert video.path == tmp_path / "seam.mp4"
    assert (video.width, video.height, video.num_frames, video.has_audio) == (32, 32, 9, True)
    assert video.fps == pytest.approx(23.976, abs=1e-3)
    assert video.duration == pytest.approx(9 * 1001 / 24000)
    assert video.content_type == "video/mp4" and video.file_name == "seam.mp4"


def test_x264_keeps_its_own_cpu_detection_without_avx512(tmp_path) -> None:
    from ltx_serve.media.encode import x264_cpu_options

    avx512 = "flags\t\t: fpu sse2 avx avx2 fma bmi1 bmi2 avx512f avx512dq avx512cd avx512bw avx512vl\n"
    avx2 = "flags\t\t: fpu sse2 avx avx2 fma bmi1 bmi2\n"
    (tmp_path / "a").write_text("processor\t: 0\n" + avx512)
    (tmp_path / "b").write_text("processor\t: 0\n" + avx2)
    assert x264_cpu_options.__wrapped__(str(tmp_path / "a")) == {"x264-params": "asm=AVX2,Cache64"}
    assert x264_cpu_options.__wrapped__(str(tmp_path / "b")) == {}
    assert x264_cpu_options.__wrapped__(str(tmp_path / "missing")) == {}
