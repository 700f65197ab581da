"""Rewrite pydantic's JSON Schema (2020-12 flavoured) into valid OpenAPI 3.0 schema objects.

fal publishes its per-endpoint documents as OpenAPI 3.0.4, and generated clients (and
openapi-spec-validator) read them as 3.0. The differences that matter for our models:
`anyOf [..., {type: null}]` is `nullable: true` in 3.0; `const` does not exist; numeric
`exclusiveMinimum` is a boolean modifier of `minimum`; `examples` (a list) is `example`;
and a `$ref` ignores sibling keys in 3.0, so a `$ref` with a default/description is wrapped
in `allOf`.
"""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}


def to_openapi30(node: Any) -> Any:
    """Return a converted copy of a schema (or of any JSON value containing schemas)."""
    if isinstance(node, list):
        return [to_openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_openapi30(value) for key, value in node.items()}
    _nullable_from_any_of(out)
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[limit] = value
            out[bound] = True
    if isinstance(out.get("examples"), list) and _is_schema(out):
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    if "$ref" in out and len(out) > 1:
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _is_schema(node: dict[str, Any]) -> bool:
    """`examples` is also a legitimate key of OpenAPI media-type objects (a map there)."""
    return any(key in node for key in ("type", "$ref", "allOf", "anyOf", "enum", "title"))


def _nullable_from_any_of(node: dict[str, Any]) -> None:
    variants = node.get("anyOf")
    if not isinstance(variants, list) or _NULL not in variants:
        return
    rest = [v for v in variants if v != _NULL]
    del node["anyOf"]
    node["nullable"] = True
    if len(rest) == 1 and "$ref" not in rest[0] and not (set(rest[0]) & set(node)):
        node.update(rest[0])
    elif len(rest) == 1:
        node["allOf"] = rest
    else:
        node["anyOf"] = rest
