"""Request/response schemas of the served fal endpoints, and the registry that lists them.

Import-light on purpose (pydantic only, never torch): the API imports this package.
"""

from ltx_serve.schemas.registry import (
    ENDPOINTS,
    EndpointSpec,
    UnknownEndpoint,
    find_endpoint,
    get_endpoint,
    split_endpoint_id,
)
from ltx_serve.schemas.validation import validate_input

__all__ = [
    "ENDPOINTS",
    "EndpointSpec",
    "UnknownEndpoint",
    "find_endpoint",
    "get_endpoint",
    "split_endpoint_id",
    "validate_input",
]
