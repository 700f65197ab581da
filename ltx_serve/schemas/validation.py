"""`validate_input`: the single entry point the API uses to turn a JSON body into an Input.

It returns the endpoint's validated pydantic model, or raises `ValidationFailed` whose
`errors` have FastAPI's 422 shape (`loc` starting with "body", `msg`, `type`, `input`/`ctx`
where pydantic gives them), so a fal client sees exactly what a fal app would have sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from ltx_serve.errors import ValidationFailed
from ltx_serve.schemas.registry import EndpointSpec, get_endpoint


def pydantic_errors_to_fal(exc: ValidationError) -> list[dict[str, Any]]:
    """FastAPI's rendering of pydantic errors, made JSON-safe.

    pydantic's `ctx` can hold the exception a validator raised, and `input` can in principle
    hold any Python object; both become JSON via `str` so the 422 body always serialises
    (also when a queued job's failure is stored and replayed).
    """
    errors: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False):
        entry: dict[str, Any] = {
            "loc": ["body", *err["loc"]],
            "msg": err["msg"],
            "type": err["type"],
        }
        if "input" in err:
            entry["input"] = to_jsonable_python(err["input"], fallback=str)
        if err.get("ctx"):
            entry["ctx"] = to_jsonable_python(err["ctx"], fallback=str)
        errors.append(entry)
    return errors


def validate_input(endpoint: EndpointSpec | str, payload: Any) -> BaseModel:
    """Validate a request body for an endpoint (a spec or an endpoint id).

    Unknown fields are ignored (fal's behaviour); Workbench aliases are accepted; cross-field
    rules raise with the offending field's `loc`. An unknown endpoint id raises the registry's
    404 `UnknownEndpoint`. `from_attributes=True` is how FastAPI validates a body, and it makes
    the wording of a wrong-type error identical to a fal app's.
    """
    spec = endpoint if isinstance(endpoint, EndpointSpec) else get_endpoint(endpoint)
    try:
        return spec.input_model.model_validate(payload, from_attributes=True)
    except ValidationError as exc:
        raise ValidationFailed(pydantic_errors_to_fal(exc)) from None
