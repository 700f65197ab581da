"""Cross-field rules that render as fal's 422 with a `loc` naming the offending field.

Why not a plain `ValueError` in a pydantic model validator: pydantic reports those at the
model's root (`loc: ["body"]`), which tells a caller nothing. Raising our own
`ValidationFailed` from the validator passes through pydantic untouched (it is not a
ValueError), so the field-level `loc` survives both direct model construction and
`validate_input`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ltx_serve.errors import ValidationFailed


@dataclass(frozen=True)
class Violation:
    """One broken cross-field rule, blamed on the field whose value the caller must change."""

    field: str
    message: str
    value: Any = None

    def as_error(self) -> dict[str, Any]:
        """fal's `FieldException` entry (plain message, `value_error`) plus pydantic's `input`."""
        return {
            "loc": ["body", self.field],
            "msg": self.message,
            "type": "value_error",
            "input": self.value,
        }


def raise_violations(violations: list[Violation]) -> None:
    """Raise one 422 listing every violation (callers fix all at once), or do nothing."""
    if violations:
        raise ValidationFailed([v.as_error() for v in violations])
