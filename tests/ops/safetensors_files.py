"""Helpers that write small but real safetensors files (via the safetensors library)."""

from __future__ import annotations

import json
import struct
from pathlib import Path


def write_safetensors(path: Path, n: int = 16) -> bytes:
    """A valid file with two float32 tensors, written by the real safetensors writer."""
    import numpy as np
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        {"a.weight": np.arange(n, dtype=np.float32), "b.bias": np.ones((2, 3), dtype=np.float32)},
        str(path),
        metadata={"format": "pt"},
    )
    return path.read_bytes()


def raw_safetensors(header: dict, data: bytes) -> bytes:
    """Bytes of a safetensors file with an arbitrary (possibly inconsistent) header."""
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data
