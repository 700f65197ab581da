"""The single seam between HTTP/jobs and GPU work."""

from ltx_serve.engine.protocol import Engine, EngineResult, GeneratedVideo, JobContext, LogLevel

__all__ = ["Engine", "EngineResult", "GeneratedVideo", "JobContext", "LogLevel"]
