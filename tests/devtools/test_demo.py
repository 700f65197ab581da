"""The README demo: tiny weights, synthetic reference video, live server, official fal client."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_serve.devtools import demo


def test_fal_client_is_redirected_like_the_readme_says(monkeypatch: pytest.MonkeyPatch) -> None:
    import fal_client.client as fal_urls

    for name in ("RUN_URL_FORMAT", "QUEUE_URL_FORMAT", "REST_URL", "CDN_URL"):
        monkeypatch.setattr(fal_urls, name, getattr(fal_urls, name))
    monkeypatch.delenv("FAL_KEY", raising=False)
    demo.configure_fal_client("http://127.0.0.1:9")
    assert fal_urls.RUN_URL_FORMAT == "http://127.0.0.1:9/run/"
    assert fal_urls.QUEUE_URL_FORMAT == "http://127.0.0.1:9/queue/"
    assert fal_urls.REST_URL == "http://127.0.0.1:9/rest"
    assert fal_urls.CDN_URL == "http://127.0.0.1:9/cdn"
    import os

    assert os.environ["FAL_KEY"]  # fal clients refuse to run without some key


def test_weights_without_a_checkpoint_fall_back_to_tiny(tmp_path: Path, tiny_weights: Path) -> None:
    assert demo.has_real_weights(tiny_weights)
    assert not demo.has_real_weights(tmp_path)
    assert demo.prepare_weights(tiny_weights, tmp_path) == (tiny_weights, False)


def test_synthetic_reference_video_has_motion_and_sound(tmp_path: Path) -> None:
    from ltx_serve.devtools.synthetic import write_reference_video
    from ltx_serve.media.decode import decode_video
    from ltx_serve.media.probe import probe

    path = write_reference_video(tmp_path / "ref.mp4", width=96, height=64, num_frames=9)
    info = probe(path, "video")
    assert (info.video.width, info.video.height, info.video.num_frames) == (96, 64, 9)
    assert info.audio is not None and info.audio.channels == 2
    frames = decode_video(path, "video").frames.astype(int)
    assert abs(frames[0] - frames[-1]).mean() > 5  # the shapes move


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path, tiny_weights: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fal_client.client as fal_urls

    for name in ("RUN_URL_FORMAT", "QUEUE_URL_FORMAT", "REST_URL", "CDN_URL"):
        monkeypatch.setattr(fal_urls, name, getattr(fal_urls, name))
    monkeypatch.setattr(demo, "TINY_REQUEST", {**demo.TINY_REQUEST, "num_frames": 9})
    # a folder without a checkpoint: the demo makes the tiny set itself
    mp4 = demo.run_demo(tmp_path / "demo", tmp_path / "empty", device="cpu", ready_timeout_s=300)
    assert mp4.is_file()
    assert demo.check_streams(mp4) == (True, True)
