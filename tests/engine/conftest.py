"""Fixtures for the endpoint layer: tiny weights, a loaded engine, synthetic media, a tiny NSFW ViT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ltx_serve.config import Settings
from ltx_serve.devtools.local_context import LocalFiles, LocalJobContext


@pytest.fixture(scope="session")
def tiny_weights(tiny_weights_dir: Path) -> Path:
    return tiny_weights_dir


@pytest.fixture(scope="session")
def engine_settings(tiny_weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # text_max_tokens 128 keeps the tiny Gemma's 3840-wide hidden states small on CPU.
    return Settings(
        weights_dir=tiny_weights,
        device="cpu",
        data_dir=tmp_path_factory.mktemp("endpoints-data"),
        text_max_tokens=128,
        safety_missing="skip",
    )


@pytest.fixture(scope="session")
def engine(engine_settings: Settings):
    from ltx_serve.engine.ltx import create_engine

    eng = create_engine(engine_settings)
    eng.load()
    return eng


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from ltx_serve.devtools.synthetic import write_reference_video, write_tone_file

    root = tmp_path_factory.mktemp("endpoints-media")
    return {
        "video": write_reference_video(root / "ref.mp4", width=160, height=96, num_frames=17),
        "silent": write_reference_video(root / "silent.mp4", width=96, height=64, num_frames=9, audio=False),
        "tone": write_tone_file(root / "tone.wav", seconds=1.0, sample_rate=44_100),
    }


@pytest.fixture
def files() -> LocalFiles:
    return LocalFiles()


@pytest.fixture
def make_ctx(tmp_path: Path, files: LocalFiles):
    counter = iter(range(1_000_000))

    def make(endpoint_id: str = "") -> LocalJobContext:
        return LocalJobContext(tmp_path / f"job{next(counter)}", endpoint_id=endpoint_id, files=files)

    return make


def tiny_nsfw_classifier(folder: Path, *, nsfw: bool) -> Path:
    """A random ViT image classifier with labels normal/nsfw whose bias makes it always answer
    `nsfw` (or always `normal`), saved as a Hugging Face folder like Falconsai's."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    config = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=2,
        id2label={0: "normal", 1: "nsfw"},
        label2id={"normal": 0, "nsfw": 1},
    )
    model = ViTForImageClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([-8.0, 8.0] if nsfw else [8.0, -8.0]))
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def generated_frames(engine, make_ctx, files, endpoint: str, payload: dict) -> np.ndarray:
    """The frames the engine hands to the encoder, [F, H, W, 3] uint8.

    Tests that compare what the model made use these, bit for bit: it says what they mean
    without the encoder in between. (The encoder is reproducible too since
    `media.encode.x264_cpu_options`; `test_engine.py` checks that on its own.)
    """
    from ltx_serve.schemas.validation import validate_input

    request = validate_input(endpoint, files.localize(payload, Path(".")))
    ctx = make_ctx(endpoint)
    return np.concatenate(engine.generate(engine.prepare(endpoint, request, ctx), ctx).frames)
