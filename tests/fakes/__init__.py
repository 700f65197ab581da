"""Deterministic stand-ins for the GPU engine, used by the API/job/client tests."""

from tests.fakes.engine import FakeEngine, create_fake_engine

__all__ = ["FakeEngine", "create_fake_engine"]
