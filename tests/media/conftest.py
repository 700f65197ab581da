"""Shared media fixtures: small synthetic clips written once per test session."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from tests.media import synth


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def indexed_clip(media_dir: Path) -> Path:
    """48 frames at 24 fps whose brightness encodes the frame index, with a 2 s tone."""
    return synth.write_video(
        media_dir / "indexed.mp4", synth.index_frames(48), 24, audio=synth.tone(2.0), sample_rate=48_000
    )


@pytest.fixture(scope="session")
def ntsc_clip(media_dir: Path) -> Path:
    return synth.write_video(media_dir / "ntsc.mp4", synth.moving_shapes(30), Fraction(24000, 1001))


@pytest.fixture(scope="session")
def silent_clip(media_dir: Path) -> Path:
    return synth.write_video(media_dir / "silent.mp4", synth.moving_shapes(12), 24)
