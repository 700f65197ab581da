"""Tests for ltx_serve.schemas: the fal contract, checked against fal's own seed pages."""
