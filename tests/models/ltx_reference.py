"""Test-only access to Lightricks' ltx-core 1.0.0 (the reference implementation).

ltx_serve never imports ltx-core; the tests use it to load the SAME file independently,
through Lightricks' own `ModelLedger` (configurators + SDOps), and compare numbers.
"""

from __future__ import annotations

from pathlib import Path

import torch


def ledger(checkpoint: Path, upsampler: Path | None = None, loras: tuple = ()):
    from ltx_pipelines.utils.model_ledger import ModelLedger

    return ModelLedger(
        dtype=torch.float32,
        device=torch.device("cpu"),
        checkpoint_path=str(checkpoint),
        spatial_upsampler_path=str(upsampler) if upsampler else None,
        loras=loras,
    )


def assert_no_meta(module: torch.nn.Module) -> None:
    """ltx-core's builder never raises on missing keys: it returns a model still on `meta`."""
    meta = [n for n, p in module.named_parameters() if p.device.type == "meta"]
    meta += [n for n, b in module.named_buffers() if b.device.type == "meta"]
    assert not meta, f"ltx-core left tensors uninitialised (missing from the file): {meta[:5]}"


def rel_err(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |a-e| / max |e|: a scale-free error that does not blow up near zeros."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    denom = expected.abs().max().clamp_min(1e-12)
    return float((actual.double() - expected.double()).abs().max() / denom)
