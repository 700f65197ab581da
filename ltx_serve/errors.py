"""Errors that cross the engine/API seam and render as fal-shaped HTTP bodies.

fal apps answer validation problems with FastAPI's 422 list shape
(`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`), other app errors with
`{"detail": "<message>"}`, and a cancelled request with 499. Raising these anywhere
below the API (schemas, media fetch, engine) yields exactly those bodies, both for a
sync call and when a queued job's result is replayed.
"""

from __future__ import annotations

from typing import Any


class RequestError(Exception):
    """An error that is the caller's to fix or to know about; never a 500."""

    status_code: int = 400

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    def detail(self) -> Any:
        return self.message


class ValidationFailed(RequestError):
    """One or more request fields are invalid: fal's (FastAPI's) 422 list body."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(e.get("msg", "")) for e in errors) or "Invalid request")
        self.errors = errors

    def detail(self) -> list[dict[str, Any]]:
        return self.errors


class FieldError(ValidationFailed):
    """A problem with one request field, reported like pydantic's own 422 errors."""

    def __init__(
        self,
        field: str | tuple[str | int, ...],
        message: str,
        error_type: str = "value_error",
        input_value: Any = None,
    ) -> None:
        loc: list[str | int] = ["body", field] if isinstance(field, str) else ["body", *field]
        entry: dict[str, Any] = {"loc": loc, "msg": message, "type": error_type}
        if input_value is not None:
            entry["input"] = input_value
        super().__init__([entry])
        self.field = field


class JobCancelled(RequestError):
    """Raised at a step boundary once the caller cancelled; fal replays it as 499."""

    status_code = 499

    def __init__(self, message: str = "Request cancelled by the client.") -> None:
        super().__init__(message)


class EngineUnavailable(RequestError):
    """The model is not loaded (yet); the job cannot run."""

    status_code = 503
