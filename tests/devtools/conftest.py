"""The dev tools run on the same tiny weights and media as the engine's tests."""

from tests.engine.conftest import media, tiny_weights

__all__ = ["media", "tiny_weights"]
