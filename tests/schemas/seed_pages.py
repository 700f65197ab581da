"""Parsers for fal's published pages in `seeds/` (the contract the schemas must match).

The seeds come in three formats: fal's llms.txt markdown (001, 003), the API page text (002)
and Workbench tables (000, 004). Parsing them in the tests, rather than hard-coding their
values, makes any disagreement between a seed and our schema a test failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEEDS_DIR = Path(__file__).parent / "seeds"
SHARED_SEEDS_DIR = Path("/work/shared/seeds")
NO_DEFAULT = object()


@dataclass(frozen=True)
class SeedField:
    name: str
    type: str
    required: bool
    default: Any = NO_DEFAULT
    range: tuple[float, float] | None = None
    options: tuple[str, ...] | None = None


def seed_text(number: int) -> str:
    (path,) = SEEDS_DIR.glob(f"{number:03d}_*.txt")
    return path.read_text(encoding="utf-8")


def _section(text: str, start: str, end: str) -> list[str]:
    lines = text.splitlines()
    first = lines.index(start)
    last = lines.index(end, first)
    return lines[first + 1 : last]


def llms_fields(text: str) -> list[SeedField]:
    """fal llms.txt bullets: `- **`name`** (`type`, _required_):` then `  - Default: ...`."""
    fields: list[dict[str, Any]] = []
    for line in _section(text, "### Input Schema", "### Output Schema"):
        head = re.match(r"^- \*\*`(\w+)`\*\* \(`([^`]+)`, _(required|optional)_\):", line)
        if head:
            fields.append({"name": head[1], "type": head[2], "required": head[3] == "required"})
        elif fields and (m := re.match(r"^  - Default: `(.*)`$", line)):
            fields[-1]["default"] = json.loads(m[1])
        elif fields and (m := re.match(r"^  - Range: `([-\d.]+)` to `([-\d.]+)`$", line)):
            fields[-1]["range"] = (float(m[1]), float(m[2]))
        elif fields and line.startswith("  - Options: "):
            fields[-1]["options"] = tuple(re.findall(r'`"([^"]*)"`', line))
    return [SeedField(**f) for f in fields]


def api_page_fields(text: str) -> list[SeedField]:
    """fal's API page (002): `name<nbsp>type[* required]`, description, `Default value: X`."""
    fields: list[dict[str, Any]] = []
    for line in _section(text, "Input#", "Output#"):
        head = re.match(r"^(\w+)\u00a0(.+?)(\* required)?$", line)
        if head:
            fields.append({"name": head[1], "type": head[2], "required": bool(head[3])})
        elif fields and (m := re.search(r"Default value: (.+)$", line)):
            fields[-1]["default"] = _json_or_text(m[1])
        elif fields and line.startswith("Possible enum values: "):
            fields[-1]["options"] = tuple(line.removeprefix("Possible enum values: ").split(", "))
    return [SeedField(**f) for f in fields]


def _json_or_text(raw: str) -> Any:
    """002 writes most defaults as JSON (`"high"`, `true`) but some bare (`auto`)."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def workbench_fields(text: str) -> list[SeedField]:
    """Workbench tables (000, 004): `name | type | default | description |` rows."""
    fields: list[SeedField] = []
    required = True
    for line in text.splitlines():
        if line.startswith("Optional parameters"):
            required = False
        row = re.match(r"^(\w+) \| (\w+) \| (.*?) \| (.*) \|$", line)
        if not row:
            continue
        default = NO_DEFAULT if row[3] == "\u2014" else json.loads(row[3])
        description = row[4]
        rng = re.search(r"Range: ([-\d.]+) \u2013 ([-\d.]+)\.", description)
        opts = re.search(r"One of: ([\w, ]+)\.", description)
        fields.append(
            SeedField(
                name=row[1],
                type=row[2],
                required=required,
                default=default,
                range=(float(rng[1]), float(rng[2])) if rng else None,
                options=tuple(opts[1].split(", ")) if opts else None,
            )
        )
    return fields


def _json_block_after(lines: list[str], start: int) -> dict[str, Any]:
    first = next(i for i in range(start, len(lines)) if lines[i] == "{")
    last = next(i for i in range(first, len(lines)) if lines[i] == "}")
    return json.loads("\n".join(lines[first : last + 1]))


def full_example(text: str) -> dict[str, Any]:
    """The seed's "all parameters" request: llms.txt's Full Example, else the API page's first."""
    lines = text.splitlines()
    marker = "**Full Example**:"
    return _json_block_after(lines, lines.index(marker) if marker in lines else 0)


def required_example(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    return _json_block_after(lines, lines.index("**Required Parameters Example**:"))


def price_per_megapixel(text: str) -> float | None:
    match = re.search(r"\$([\d.]+) per megapixel", text)
    return float(match[1]) if match else None
