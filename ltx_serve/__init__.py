"""ltx-serve: a fal.ai-compatible server for Lightricks LTX-2.3."""

__version__ = "0.1.0"
