"""Cheap integrity checks for weight files, without loading a single tensor.

A 46 GB checkpoint that stopped downloading at 45 GB loads fine until the last layers,
then fails with an opaque error minutes into start-up. These checks read only the file
size and the safetensors header (a few MB at most), so `doctor` and `weights download`
can call them on every file in well under a second.

safetensors layout: 8 bytes little-endian u64 `N`, then `N` bytes of JSON mapping tensor
names to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the end
of the header), plus an optional `"__metadata__"` dict of strings; then the data buffer.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ltx_serve.models.catalog import WeightFile

# The format's own upper bound on header size (safetensors rejects larger headers).
MAX_HEADER_BYTES = 100_000_000

DTYPE_BYTES: dict[str, float] = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "F8_E8M0": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
    "F4": 0.5,
    "F6_E2M3": 0.75,
    "F6_E3M2": 0.75,
}


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one file; `detail` tells the operator what is wrong and what to do."""

    path: Path
    status: Status
    size_bytes: int | None = None
    detail: str = ""
    tensors: int | None = None


def check_safetensors_header(path: Path) -> tuple[bool, str, int]:
    """Validate the header of a safetensors file: (ok, problem, tensor count).

    Checks that the header length fits in the file, that the header is a JSON object, and
    that every tensor's byte range lies inside the data buffer and matches dtype x shape.
    """
    size = path.stat().st_size
    if size < 8:
        return False, f"file is {size} bytes, shorter than the 8-byte header length", 0
    with path.open("rb") as fh:
        (header_len,) = struct.unpack("<Q", fh.read(8))
        if header_len > MAX_HEADER_BYTES:
            return False, f"header length {header_len} is implausible (not a safetensors file?)", 0
        if 8 + header_len > size:
            return False, f"header length {header_len} runs past the end of the {size}-byte file", 0
        raw = fh.read(header_len)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return False, f"header is not valid JSON ({exc.__class__.__name__}: {exc})", 0
    if not isinstance(header, dict):
        return False, "header is JSON but not an object", 0
    data_len = size - 8 - header_len
    count = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        count += 1
        problem = _tensor_problem(name, info, data_len)
        if problem:
            return False, problem, count
    return True, "", count


def _tensor_problem(name: str, info: object, data_len: int) -> str:
    if not isinstance(info, dict):
        return f"tensor {name!r}: entry is not an object"
    offsets = info.get("data_offsets")
    shape = info.get("shape")
    dtype = info.get("dtype")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) for o in offsets)
        or not isinstance(shape, list)
    ):
        return f"tensor {name!r}: malformed data_offsets/shape"
    begin, end = offsets
    if not 0 <= begin <= end:
        return f"tensor {name!r}: data_offsets {offsets} are not increasing"
    if end > data_len:
        return (
            f"tensor {name!r} ends at byte {end} of the data buffer but only {data_len} bytes are "
            "present (truncated download)"
        )
    width = DTYPE_BYTES.get(str(dtype))
    if width is not None and all(isinstance(d, int) for d in shape):
        expected = math.ceil(math.prod(shape) * width)
        if end - begin != expected:
            return f"tensor {name!r}: {end - begin} bytes for {dtype}{shape} (expected {expected})"
    return ""


def check_file(path: Path, expected_size: int | None = None) -> FileCheck:
    """Present / missing / corrupt for one file, by size and (for safetensors) header."""
    if not path.is_file():
        return FileCheck(path, Status.MISSING, detail="not found")
    size = path.stat().st_size
    if expected_size is not None and size != expected_size:
        verb = "truncated" if size < expected_size else "larger than published"
        return FileCheck(
            path,
            Status.CORRUPT,
            size,
            f"{size:,} bytes, expected {expected_size:,} ({verb}); delete it and run "
            "`ltx-serve weights download` again",
        )
    tensors = None
    if path.suffix == ".safetensors":
        ok, problem, tensors = check_safetensors_header(path)
        if not ok:
            return FileCheck(
                path,
                Status.CORRUPT,
                size,
                f"{problem}; delete it and run `ltx-serve weights download` again",
                tensors,
            )
    return FileCheck(path, Status.OK, size, "", tensors)


def check_folder(path: Path) -> FileCheck:
    """A Hugging Face model folder: config.json present, index shards present, headers valid."""
    if not path.is_dir():
        return FileCheck(path, Status.MISSING, detail="folder not found")
    if not (path / "config.json").is_file():
        return FileCheck(path, Status.CORRUPT, detail="no config.json: incomplete download")
    shards = sorted(path.glob("*.safetensors"))
    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            return FileCheck(path, Status.CORRUPT, detail=f"unreadable {index.name}: {exc}")
        wanted = sorted(set(weight_map.values()))
        absent = [s for s in wanted if not (path / s).is_file()]
        if absent:
            return FileCheck(path, Status.CORRUPT, detail=f"missing shards: {', '.join(absent)}")
    if not shards:
        return FileCheck(path, Status.CORRUPT, detail="no *.safetensors weights in the folder")
    total = 0
    tensors = 0
    for shard in shards:
        check = check_file(shard)
        if check.status is not Status.OK:
            return FileCheck(path, Status.CORRUPT, detail=f"{shard.name}: {check.detail}")
        total += check.size_bytes or 0
        tensors += check.tensors or 0
    return FileCheck(path, Status.OK, total, "", tensors)


def check_entry(entry: WeightFile, weights_dir: Path) -> FileCheck:
    """Check one catalog artefact in a weights folder, accepting its older-release aliases.

    The published size only applies to the current filename: an alias is an older release
    with its own size, so it gets the header check alone.
    """
    if entry.is_folder:
        return check_folder(weights_dir / entry.filename)
    canonical = weights_dir / entry.filename
    if canonical.exists():
        return check_file(canonical, entry.size_bytes)
    for alias in entry.aliases:
        if (weights_dir / alias).exists():
            return check_file(weights_dir / alias)
    return FileCheck(canonical, Status.MISSING, detail="not found")
