"""Shared fixtures for the sampler tests: the project's tiny LTX-2.3 set and a call counter.

The tiny set is written by `ltx_serve.models.tiny.make_tiny` in the real file formats (random
weights, 2 transformer layers, 128 latent channels, 128 connector registers) and loaded with
`load_components` in float32. Nothing touches the Hugging Face hub.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def tiny_components(tiny_weights_dir):
    """The project's tiny LTX-2.3 set (`make_tiny` files loaded by `load_components`), float32."""
    from ltx_serve.models.components import load_components

    with torch.no_grad():
        return load_components(tiny_weights_dir, dtype=torch.float32, variant="dev")


class CallCounter:
    """Wraps `transformer.forward` to record the batch size of every call."""

    def __init__(self, transformer: torch.nn.Module) -> None:
        self.transformer = transformer
        self.batch_sizes: list[int] = []
        self._orig = transformer.forward

    def __enter__(self) -> CallCounter:
        orig = self._orig

        def counted(*args, **kwargs):
            hs = kwargs.get("hidden_states", args[0] if args else None)
            self.batch_sizes.append(int(hs.shape[0]))
            return orig(*args, **kwargs)

        self.transformer.forward = counted
        return self

    def __exit__(self, *exc) -> None:
        del self.transformer.forward

    @property
    def calls(self) -> int:
        return len(self.batch_sizes)


@pytest.fixture
def call_counter():
    return CallCounter


@pytest.fixture(scope="session")
def prompts(tiny_components):
    """Pre-encoded (positive, negative) prompts: skips the 48-layer tiny Gemma in non-text tests."""
    from ltx_serve.pipelines.text import encode_prompts

    return tuple(encode_prompts(tiny_components, ["rain on a window", "low quality"], 128))
