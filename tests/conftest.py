"""Session-wide test setup.

Nothing in the tests may reach the Hugging Face hub: HF_HUB_OFFLINE is set before any test
module imports huggingface_hub (it reads the variable once, at import). The download tests,
which talk to a local fake hub, switch it off for themselves.

One tiny LTX-2.3 weights folder (`ltx-serve weights make-tiny`: random weights, real formats)
is written once per session and shared by every package's tests; tests must not modify it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_weights_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ltx_serve.models.tiny import make_tiny

    return make_tiny(tmp_path_factory.mktemp("tiny-ltx23"), seed=0)
