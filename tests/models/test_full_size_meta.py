"""Full-size LTX-2.3 22B on the `meta` device: the real key set converts and loads strictly.

We cannot download the 46 GB file, so we build ltx-core 1.0.0's own full-size modules from
the 2.3 config (on `meta`: no memory), name their tensors the way the single file does
(the inverse of ltx-core's SDOps prefixes), and push that key/shape set through OUR converter
into OUR full-size diffusers modules with `load_state_dict(strict=True, assign=True)`.
"""

from __future__ import annotations

import logging

import pytest
import torch

from ltx_serve.models import ltx_config
from ltx_serve.models.keymap import Component, to_diffusers
from ltx_serve.models.presets import LTX23_CONFIG, LTX23_UPSAMPLER_CONFIG
from ltx_serve.models.single_file import build_on_meta, diffusers_config, model_classes

logger = logging.getLogger(__name__)

# Expected parameter counts (billions / millions) and the tolerance they are held to. The
# transformer and connectors are the public "22B" split (19.0B DiT + 3.2B text path incl. the
# two 188160-wide projections); the others come from the published architecture.
EXPECTED_PARAMS = {
    Component.TRANSFORMER: 19.0e9,
    Component.CONNECTORS: 3.2e9,
}
REL_TOL = 0.05


def _reference_file_keys() -> dict[str, tuple[int, ...]]:
    """Key -> shape of a real 2.3 single file, from ltx-core's modules built on meta."""
    pytest.importorskip("ltx_core")
    from ltx_core.model.audio_vae.model_configurator import (
        AudioDecoderConfigurator,
        AudioEncoderConfigurator,
        VocoderConfigurator,
    )
    from ltx_core.model.transformer.model_configurator import LTXModelConfigurator
    from ltx_core.model.video_vae.model_configurator import VideoDecoderConfigurator, VideoEncoderConfigurator
    from ltx_core.text_encoders.gemma.encoders.encoder_configurator import EmbeddingsProcessorConfigurator

    cfg = LTX23_CONFIG
    keys: dict[str, tuple[int, ...]] = {}

    def add(prefix: str, module: torch.nn.Module, rename=lambda k: k) -> None:
        for k, v in module.state_dict().items():
            keys[prefix + rename(k)] = tuple(v.shape)

    def stats_shared(side: str):
        return lambda k: k if k.startswith("per_channel_statistics.") else f"{side}.{k}"

    with torch.device("meta"):
        add("model.diffusion_model.", LTXModelConfigurator.from_config(cfg))
        proc = EmbeddingsProcessorConfigurator.from_config(cfg)
        add("model.diffusion_model.video_embeddings_connector.", proc.video_connector)
        add("model.diffusion_model.audio_embeddings_connector.", proc.audio_connector)
        add("text_embedding_projection.", proc.feature_extractor)
        add("vae.", VideoEncoderConfigurator.from_config(cfg), stats_shared("encoder"))
        add("vae.", VideoDecoderConfigurator.from_config(cfg), stats_shared("decoder"))
        add("audio_vae.", AudioEncoderConfigurator.from_config(cfg), stats_shared("encoder"))
        add("audio_vae.", AudioDecoderConfigurator.from_config(cfg), stats_shared("decoder"))
        add("vocoder.", VocoderConfigurator.from_config(cfg))
    return keys


@pytest.fixture(scope="module")
def converted() -> dict[Component, tuple[torch.nn.Module, dict[str, torch.Tensor]]]:
    file_keys = _reference_file_keys()
    per_comp: dict[Component, dict[str, torch.Tensor]] = {c: {} for c in Component}
    for key, shape in file_keys.items():
        mapped = to_diffusers(key, LTX23_CONFIG)
        assert mapped is not None, f"converter drops a real weight: {key}"
        per_comp[mapped[0]][mapped[1]] = torch.empty(shape, device="meta")
    classes = model_classes()
    return {
        c: (build_on_meta(classes[c], diffusers_config(c, LTX23_CONFIG)), sd) for c, sd in per_comp.items()
    }


@pytest.mark.parametrize("component", list(Component), ids=lambda c: c.value)
def test_full_size_keys_load_strictly(converted, component):
    model, state = converted[component]
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    assert sorted(set(expected) - set(got)) == [], "missing"
    assert sorted(set(got) - set(expected)) == [], "unexpected"
    assert {k: s for k, s in got.items() if expected[k] != s} == {}, "shape mismatch"
    model.load_state_dict(state, strict=True, assign=True)


@pytest.mark.parametrize(
    "config",
    [LTX23_UPSAMPLER_CONFIG, {**LTX23_UPSAMPLER_CONFIG, "spatial_scale": 1.5, "rational_resampler": True}],
    ids=["x2", "x1.5-rational"],
)
def test_full_size_upsampler_loads_strictly(config):
    pytest.importorskip("ltx_core")
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from ltx_core.model.upsampler.model_configurator import LatentUpsamplerConfigurator

    with torch.device("meta"):
        ref = LatentUpsamplerConfigurator.from_config(config).state_dict()
    ours = build_on_meta(LTX2LatentUpsamplerModel, ltx_config.upsampler_config(config))
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in ref.items()
    }
    ours.load_state_dict({k: torch.empty_like(v) for k, v in ref.items()}, strict=True, assign=True)


def test_full_size_parameter_counts(converted):
    counts = {c.value: sum(p.numel() for p in m.parameters()) for c, (m, _) in converted.items()}
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    up = build_on_meta(LTX2LatentUpsamplerModel, ltx_config.upsampler_config(LTX23_UPSAMPLER_CONFIG))
    counts["upsampler"] = sum(p.numel() for p in up.parameters())
    table = "\n".join(f"  {name:<12} {n / 1e9:8.3f} B" for name, n in counts.items())
    print(f"\nLTX-2.3 22B parameter counts (diffusers modules, meta):\n{table}")  # noqa: T201
    for comp, expected in EXPECTED_PARAMS.items():
        assert abs(counts[comp.value] - expected) / expected < REL_TOL, (comp, counts[comp.value])
    total = counts["transformer"] + counts["connectors"]
    assert abs(total - 22.2e9) / 22.2e9 < REL_TOL
    # The VAEs, vocoder and upsampler are small next to the DiT but not tiny.
    assert 0.5e9 < counts["vae"] < 1.5e9
    assert 1e6 < counts["audio_vae"] < 2e8
    assert 1e7 < counts["vocoder"] < 5e8
    assert 1e7 < counts["upsampler"] < 1e9
