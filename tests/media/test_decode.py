from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ltx_serve.errors import FieldError
from ltx_serve.media.decode import decode_video, iter_video_chunks
from ltx_serve.media.probe import probe
from ltx_serve.media.resize import ResizeMode
from tests.media import synth


def test_native_decode_returns_every_frame_in_order(indexed_clip: Path) -> None:
    clip = decode_video(indexed_clip, "video_url")
    assert clip.frames.shape == (48, 48, 64, 3)
    assert clip.frames.dtype == np.uint8
    assert clip.fps == 24
    assert [synth.frame_index_of(f) for f in clip.frames] == list(range(48))


def test_half_rate_keeps_every_other_frame(indexed_clip: Path) -> None:
    clip = decode_video(indexed_clip, "video_url", fps=12)
    assert [synth.frame_index_of(f) for f in clip.frames] == list(range(0, 48, 2))


def test_higher_rate_repeats_frames_without_skipping(indexed_clip: Path) -> None:
    clip = decode_video(indexed_clip, "video_url", fps=48, num_frames=17)
    assert [synth.frame_index_of(f) for f in clip.frames] == [i // 2 for i in range(17)]


def test_requested_count_beyond_the_source_holds_the_last_frame(indexed_clip: Path) -> None:
    clip = decode_video(indexed_clip, "video_url", num_frames=57)
    indices = [synth.frame_index_of(f) for f in clip.frames]
    assert indices[:48] == list(range(48))
    assert indices[48:] == [47] * 9


def test_ntsc_rate_is_kept_exact(ntsc_clip: Path) -> None:
    info = probe(ntsc_clip, "video_url").video
    assert info is not None
    assert info.fps == Fraction(24000, 1001)
    assert decode_video(ntsc_clip, "video_url").num_frames == 30


def test_variable_frame_rate_is_resampled_to_the_nearest_frame(tmp_path: Path) -> None:
    pts = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11]  # a 3-frame gap after frame 3
    path = synth.write_video(tmp_path / "vfr.mkv", synth.index_frames(10), 24, pts=pts)
    clip = decode_video(path, "video_url", fps=24)
    assert [synth.frame_index_of(f) for f in clip.frames] == [0, 1, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "options"),
    [
        ("vp9.webm", "libvpx-vp9", "yuv420p", {"crf": "10", "b": "0", "deadline": "realtime"}),
        ("hdr10.mp4", "libx264", "yuv420p10le", {"crf": "10", "preset": "ultrafast"}),
        ("prores.mov", "prores_ks", "yuv422p10le", {}),
    ],
)
def test_other_codecs_and_bit_depths_decode(
    name: str, codec: str, pix_fmt: str, options: dict[str, str], tmp_path: Path
) -> None:
    path = synth.write_video(
        tmp_path / name, synth.index_frames(12), 24, codec=codec, pix_fmt=pix_fmt, options=options
    )
    clip = decode_video(path, "video_url")
    assert clip.frames.dtype == np.uint8
    assert [synth.frame_index_of(f) for f in clip.frames] == list(range(12))


def test_chunks_bound_memory_and_add_up(indexed_clip: Path) -> None:
    chunks = list(iter_video_chunks(indexed_clip, "video_url", chunk_size=5))
    assert [len(c) for c in chunks] == [5] * 9 + [3]


def test_display_matrix_rotation_is_applied(tmp_path: Path) -> None:
    frames = np.zeros((3, 32, 64, 3), np.uint8)
    frames[:, :, :16] = 255  # white stripe on the LEFT of the coded (landscape) picture
    path = synth.write_video(tmp_path / "rot.mp4", frames, 24, rotation=90)
    info = probe(path, "video_url").video
    assert info is not None
    assert (info.width, info.height, info.rotation) == (32, 64, 90)
    clip = decode_video(path, "video_url")
    assert clip.frames.shape == (3, 64, 32, 3)
    # A 90 degree counter-clockwise turn moves the left stripe to the bottom.
    assert clip.frames[0, -10:].mean() > 200
    assert clip.frames[0, :40].mean() < 30


def test_legacy_rotate_tag_is_applied(tmp_path: Path) -> None:
    frames = np.zeros((3, 32, 64, 3), np.uint8)
    frames[:, :, :16] = 255  # white stripe on the left
    path = synth.write_video(tmp_path / "tag.mkv", frames, 24, rotate_tag=90)
    clip = decode_video(path, "video_url")
    assert clip.frames.shape == (3, 64, 32, 3)
    # rotate=90 means "turn 90 degrees clockwise": the left stripe ends up on top.
    assert clip.frames[0, :10].mean() > 200
    assert clip.frames[0, -40:].mean() < 30


def test_cover_resize_fills_the_box_and_fit_keeps_the_aspect(silent_clip: Path) -> None:
    cover = decode_video(silent_clip, "video_url", size=(32, 32), resize=ResizeMode.COVER)
    assert cover.frames.shape[1:] == (32, 32, 3)
    fit = decode_video(silent_clip, "video_url", size=(48, 48), resize=ResizeMode.FIT)
    assert fit.frames.shape[1:] == (32, 48, 3)  # 96x64 source -> 48x32


def _truncated(tmp_path: Path, src: Path) -> Path:
    data = src.read_bytes()
    out = tmp_path / "truncated.mp4"
    out.write_bytes(data[: len(data) // 2])
    return out


@pytest.mark.parametrize("case", ["empty", "garbage", "truncated", "image", "audio_only", "missing"])
def test_bad_video_inputs_are_field_errors(case: str, tmp_path: Path, indexed_clip: Path) -> None:
    path = tmp_path / f"{case}.bin"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8).tobytes())
    elif case == "truncated":
        path = _truncated(tmp_path, indexed_clip)
    elif case == "image":
        path = synth.write_image(tmp_path / "still.png", synth.moving_shapes(1)[0])
    elif case == "audio_only":
        path = synth.write_audio(tmp_path / "tone.wav", synth.tone(0.5))
    with pytest.raises(FieldError) as err:
        decode_video(path, "video_url")
    assert err.value.errors[0]["loc"] == ["body", "video_url"]
    assert "video_url" in err.value.errors[0]["msg"]


def test_cover_art_in_an_audio_file_is_not_a_video(tmp_path: Path) -> None:
    path = synth.write_mp3_with_cover(tmp_path / "song.mp3", synth.tone(0.5, 44_100))
    with pytest.raises(FieldError, match="no video stream"):
        decode_video(path, "video_url")


def test_error_messages_do_not_leak_server_paths(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234.mp4"
    path.write_bytes(b"\x00\x01" * 500)
    with pytest.raises(FieldError) as err:
        decode_video(path, "video_url")
    assert str(tmp_path) not in err.value.errors[0]["msg"]


def test_too_long_and_too_large_videos_are_rejected(indexed_clip: Path) -> None:
    with pytest.raises(FieldError, match="limit is 1s"):
        decode_video(indexed_clip, "video_url", max_seconds=1.0)
    with pytest.raises(FieldError, match="pixels per frame"):
        decode_video(indexed_clip, "video_url", max_pixels=1000)
