"""User LoRA branch filtering and the on-disk filtered copy the registry re-reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_serve.engine.user_loras import cache_file, filter_branch, is_audio_module, sha256_file, write_lora
from ltx_serve.models.lora import read_lora


@pytest.mark.parametrize(
    ("module", "audio"),
    [
        ("transformer_blocks.0.attn1.to_q", False),
        ("transformer_blocks.0.audio_attn1.to_q", True),
        ("transformer_blocks.3.audio_ff.net.0.proj", True),
        ("transformer_blocks.0.video_to_audio_attn.to_k", True),
        ("transformer_blocks.0.audio_to_video_attn.to_q", False),
        ("transformer_blocks.0.ff.net.2", False),
        ("audio_connector.transformer_blocks.0.attn1.to_q", True),
        ("video_connector.transformer_blocks.0.attn1.to_q", False),
    ],
)
def test_audio_branch_modules(module: str, audio: bool) -> None:
    assert is_audio_module("transformer", module) is audio


def test_filtered_copy_round_trips(tiny_weights: Path, tmp_path: Path) -> None:
    source = tiny_weights / "ltx-2.3-22b-distilled-lora-384-1.1.safetensors"  # touches both branches
    full = read_lora(source, "full")
    video = filter_branch(full, "video", "v")
    audio = filter_branch(full, "audio", "a")
    assert video.pairs and audio.pairs
    assert set(video.pairs) | set(audio.pairs) == set(full.pairs)
    assert not set(video.pairs) & set(audio.pairs)
    assert filter_branch(full, "both", "b").pairs == full.pairs
    path = tmp_path / "video.safetensors"
    write_lora(video, path)
    again = read_lora(path, "again")
    assert set(again.pairs) == set(video.pairs)
    target = next(iter(video.pairs))
    assert (again.pairs[target][1] == video.pairs[target][1]).all()


def test_cache_is_content_addressed(tmp_path: Path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    path_a, sha_a = cache_file(a, tmp_path / "cache")
    path_b, sha_b = cache_file(b, tmp_path / "cache")
    assert path_a == path_b and sha_a == sha_b == sha256_file(a)
    assert len(list((tmp_path / "cache").iterdir())) == 1
