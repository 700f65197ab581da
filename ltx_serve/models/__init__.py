"""Checkpoint formats, conversion, loading, LoRAs and the registry of resident models."""
