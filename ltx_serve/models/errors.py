"""Errors raised while finding and loading weights.

These are operator errors (a missing or wrong file at start-up), not request errors, so
they are plain exceptions whose message says which file to put where.
"""

from __future__ import annotations


class WeightsError(Exception):
    """Base class: something is wrong with the weights on disk."""


class WeightsNotFoundError(WeightsError, FileNotFoundError):
    """A required file or folder is not in the weights directory (or the HF cache)."""


class CheckpointFormatError(WeightsError, ValueError):
    """A file exists but is not in a format (or architecture) ltx-serve can load."""


class LoraFormatError(WeightsError, ValueError):
    """A LoRA file whose keys match none of the supported layouts."""
