"""The tiny preset is real-format and deterministic; the loader finds weights in every layout."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ltx_serve.models import catalog
from ltx_serve.models.components import load_components
from ltx_serve.models.errors import CheckpointFormatError, WeightsNotFoundError
from ltx_serve.models.keymap import Component, to_diffusers, to_lightricks
from ltx_serve.models.presets import LTX23_CONFIG
from ltx_serve.models.single_file import build_on_meta, diffusers_config, model_classes
from ltx_serve.models.tiny import make_tiny
from tests.models.fp8_checkpoint import write_fp8_checkpoint


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tiny_dir, tmp_path):
    again = make_tiny(tmp_path / "again", seed=0)
    assert _digests(again) == _digests(tiny_dir)
    other = make_tiny(tmp_path / "other", seed=1, distilled=False)
    dev = catalog.BY_KEY["dev"].filename
    assert _digests(other)[dev] != _digests(tiny_dir)[dev]


def test_tiny_set_uses_real_names_formats_and_stays_small(tiny_dir):
    for key in ("dev", "distilled", "spatial_upscaler", "distilled_lora", "ic_lora_union", "camera_dolly_in"):
        assert (tiny_dir / catalog.BY_KEY[key].filename).is_file(), key
    gemma = tiny_dir / catalog.BY_KEY["gemma"].filename
    assert (gemma / "config.json").is_file() and (gemma / "tokenizer.json").is_file()
    with safe_open(str(tiny_dir / catalog.BY_KEY["dev"].filename), framework="pt") as f:
        meta = f.metadata()
        keys = list(f.keys())
        dtypes = {f.get_slice(k).get_dtype() for k in keys}
    config = json.loads(meta["config"])
    assert meta["model_version"].startswith("2.3")
    assert {"transformer", "vae", "audio_vae", "vocoder"} <= set(config)
    assert config["vae"]["latent_channels"] == 128 and config["transformer"]["in_channels"] == 128
    for prefix in ("model.diffusion_model.", "vae.", "audio_vae.", "vocoder.", "text_embedding_projection."):
        assert any(k.startswith(prefix) for k in keys), prefix
    assert dtypes == {"BF16"}
    total = sum(p.stat().st_size for p in tiny_dir.rglob("*") if p.is_file())
    assert total < 80e6


def test_components_have_the_23_flags(tiny_components):
    c = tiny_components
    cfg = c.transformer.config
    assert cfg.gated_attn and cfg.audio_gated_attn and cfg.cross_attn_mod and cfg.perturbed_attn
    assert cfg.rope_type == "split" and not cfg.use_prompt_embeddings
    assert c.connectors.config.per_modality_projections
    assert c.audio_sample_rate == 48000
    assert c.variant == "dev" and c.tokenizer.padding_side == "left"
    assert all(p.dtype == torch.float32 for p in c.transformer.parameters())
    assert not any(p.requires_grad for p in c.transformer.parameters())


def test_distilled_variant_has_its_own_transformer(tiny_dir, tiny_components):
    d = load_components(
        tiny_dir, dtype=torch.float32, variant="distilled", text_encoder=False, upsampler=False
    )
    assert d.variant == "distilled" and d.checkpoint_path.name == catalog.BY_KEY["distilled"].filename
    w_dev = tiny_components.transformer.proj_in.weight
    assert not torch.equal(d.transformer.proj_in.weight, w_dev)
    assert torch.equal(d.vae.latents_mean, tiny_components.vae.latents_mean)


def test_bf16_load_keeps_file_values(tiny_dir, tiny_components):
    b = load_components(tiny_dir, dtype=torch.bfloat16, text_encoder=False, upsampler=False)
    w = b.transformer.transformer_blocks[0].attn1.to_q.weight
    assert w.dtype == torch.bfloat16
    assert torch.equal(w.float(), tiny_components.transformer.transformer_blocks[0].attn1.to_q.weight)


def _hf_cache(root: Path, repo: str, files: dict[str, Path]) -> None:
    repo_dir = root / ("models--" + repo.replace("/", "--"))
    snap = repo_dir / "snapshots" / "0123abc"
    snap.mkdir(parents=True)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text("0123abc")
    for name, src in files.items():
        (snap / name).symlink_to(src)


@pytest.mark.parametrize("env", ["HF_HUB_CACHE", "HF_HOME"])
def test_finds_weights_in_the_hugging_face_cache_offline(tiny_dir, tmp_path, monkeypatch, env):
    cache = tmp_path / "hub"
    names = {k: catalog.BY_KEY[k] for k in ("dev", "spatial_upscaler")}
    _hf_cache(cache, catalog.LTX_REPO, {e.filename: tiny_dir / e.filename for e in names.values()})
    gemma = catalog.BY_KEY["gemma"]
    src = tiny_dir / gemma.filename
    _hf_cache(cache, gemma.repo_id, {p.name: p for p in src.iterdir()})
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv(env, str(cache if env == "HF_HUB_CACHE" else tmp_path))  # HF_HOME/hub
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    c = load_components(None, dtype=torch.float32)
    assert c.checkpoint_path.parent.name == "0123abc"
    assert c.text_encoder is not None and c.upsampler is not None


def test_missing_checkpoint_says_what_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(WeightsNotFoundError) as err:
        load_components(tmp_path)
    msg = str(err.value)
    assert "ltx-2.3-22b-dev.safetensors" in msg and "Lightricks/LTX-2.3" in msg


def test_missing_gemma_says_what_to_download(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(tiny_dir / catalog.BY_KEY["dev"].filename, tmp_path)
    with pytest.raises(WeightsNotFoundError, match="gemma-3-12b-it-qat-q4_0-unquantized"):
        load_components(tmp_path, dtype=torch.float32)


def test_file_without_ltx_metadata_is_rejected(tmp_path):
    save_file({"x": torch.zeros(1)}, str(tmp_path / catalog.BY_KEY["dev"].filename))
    with pytest.raises(CheckpointFormatError, match="no 'config'"):
        load_components(tmp_path, text_encoder=False)


def test_diffusers_format_folder_loads_the_same_model(tiny_dir, tiny_components, tmp_path):
    c = tiny_components
    root = tmp_path / "LTX-2.3-Diffusers"
    for name in ("transformer", "connectors", "vae", "audio_vae", "vocoder"):
        getattr(c, name).save_pretrained(root / name)
    c.text_encoder.save_pretrained(root / "text_encoder")
    c.tokenizer.save_pretrained(root / "tokenizer")
    (root / "model_index.json").write_text(json.dumps({"_class_name": "LTX2Pipeline"}))
    d = load_components(root, dtype=torch.float32, upsampler=False)
    assert d.checkpoint_path is None and d.text_encoder is not None
    for name in ("transformer", "connectors", "vae", "audio_vae", "vocoder"):
        ours, theirs = getattr(c, name).state_dict(), getattr(d, name).state_dict()
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours), name


def test_key_mapping_round_trips_at_full_size():
    classes = model_classes()
    for comp in Component:
        model = build_on_meta(classes[comp], diffusers_config(comp, LTX23_CONFIG))
        for key in model.state_dict():
            file_key = to_lightricks(comp, key, LTX23_CONFIG)
            assert to_diffusers(file_key, LTX23_CONFIG) == (comp, key), (comp, key, file_key)


def test_make_tiny_cli(tmp_path):
    from typer.testing import CliRunner

    from ltx_serve.models.cli import weights_app

    result = CliRunner().invoke(weights_app, ["make-tiny", str(tmp_path / "t"), "--no-distilled"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t" / catalog.BY_KEY["dev"].filename).is_file()
    result = CliRunner().invoke(
        weights_app, ["inspect", str(tmp_path / "t" / catalog.BY_KEY["dev"].filename)]
    )
    assert result.exit_code == 0 and "model_version: 2.3" in result.output


def test_scaled_fp8_checkpoint_is_dequantised(tiny_dir, tiny_components, tmp_path):
    """The official FP8 file layout: float8 Linear weights + `.weight_scale` (+ `.input_scale`)."""
    src = tiny_dir / catalog.BY_KEY["dev"].filename
    fp8_dir = tmp_path / "fp8"
    quantised = write_fp8_checkpoint(
        src,
        fp8_dir / catalog.BY_KEY["dev"].filename,
        lambda k: ".transformer_blocks." in k and k.endswith("to_q.weight"),
    )
    c = load_components(fp8_dir, dtype=torch.float32, text_encoder=False, upsampler=False)
    got = c.transformer.transformer_blocks[0].attn1.to_q.weight
    want = tiny_components.transformer.transformer_blocks[0].attn1.to_q.weight
    assert got.dtype == torch.float32 and quantised
    assert not torch.equal(got, want)  # really went through fp8
    assert torch.allclose(got, want, rtol=0.07, atol=want.abs().max().item() * 0.07)


def test_older_release_file_names_are_accepted(tiny_dir, tmp_path):
    """ltx-2.3-22b-distilled.safetensors (1.0) stands in for ...-distilled-1.1.safetensors."""
    shutil.copy(
        tiny_dir / catalog.BY_KEY["distilled"].filename, tmp_path / "ltx-2.3-22b-distilled.safetensors"
    )
    c = load_components(tmp_path, variant="distilled", text_encoder=False, upsampler=False)
    assert c.checkpoint_path.name == "ltx-2.3-22b-distilled.safetensors"
