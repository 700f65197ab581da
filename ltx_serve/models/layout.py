"""Where the weight files are: a weights folder first, then the Hugging Face cache (offline).

A weights folder holds the catalog's file names side by side (see `weights/README.md`).
Files downloaded with `huggingface-cli download` instead live in the hub cache as
`models--{org}--{name}/snapshots/{revision}/{filename}`; we look there too, never online.
"""

from __future__ import annotations

import os
from pathlib import Path

from ltx_serve.models.catalog import BY_KEY, WeightFile
from ltx_serve.models.errors import WeightsNotFoundError

DIFFUSERS_REPOS = ("diffusers/LTX-2.3-Diffusers", "diffusers/LTX-2.3-Distilled-Diffusers")


def hf_cache_dirs() -> list[Path]:
    """The hub cache folders to search, in huggingface_hub's order of precedence."""
    dirs: list[Path] = []
    if os.environ.get("HF_HUB_CACHE"):
        dirs.append(Path(os.environ["HF_HUB_CACHE"]))
    if os.environ.get("HF_HOME"):
        dirs.append(Path(os.environ["HF_HOME"]) / "hub")
    dirs.append(Path.home() / ".cache" / "huggingface" / "hub")
    return [d for d in dict.fromkeys(dirs) if d.is_dir()]


def snapshot_dirs(repo_id: str) -> list[Path]:
    """Snapshot folders of `repo_id` in the caches, the `refs/main` revision first."""
    found: list[Path] = []
    for cache in hf_cache_dirs():
        repo_dir = cache / ("models--" + repo_id.replace("/", "--"))
        snaps = repo_dir / "snapshots"
        if not snaps.is_dir():
            continue
        ref = repo_dir / "refs" / "main"
        main = ref.read_text().strip() if ref.is_file() else None
        ordered = sorted(snaps.iterdir(), key=lambda p: (p.name != main, -p.stat().st_mtime))
        found.extend(p for p in ordered if p.is_dir())
    return found


def find(entry: WeightFile, weights_dir: Path | None) -> Path | None:
    """The local path of a catalog entry (file or folder), or None."""
    candidates = entry.candidates
    if weights_dir is not None:
        for name in candidates:
            p = Path(weights_dir) / name
            if p.is_dir() if entry.is_folder else p.is_file():
                return p
    for snap in snapshot_dirs(entry.repo_id):
        if entry.is_folder:
            if (snap / "config.json").is_file():
                return snap
            continue
        for name in candidates:
            if (snap / name).is_file():
                return snap / name
    return None


def require(key: str, weights_dir: Path | None) -> Path:
    """Like `find`, but raise an error that says what to download and where to put it."""
    entry = BY_KEY[key]
    path = find(entry, weights_dir)
    if path is None:
        where = f"{weights_dir}/" if weights_dir else "the weights folder"
        kind = "folder" if entry.is_folder else "file"
        raise WeightsNotFoundError(
            f"missing {entry.description or key}: put the {kind} {entry.filename!r} (from the Hugging Face "
            f"repo {entry.repo_id}) into {where}, or run `ltx-serve weights download` "
            f"(also looked in the Hugging Face cache: {[str(d) for d in hf_cache_dirs()] or 'none found'})"
        )
    return path


def find_diffusers_folder(weights_dir: Path | None, distilled: bool = False) -> Path | None:
    """A diffusers-format pipeline folder (model_index.json + subfolders), if one is present."""
    repo = DIFFUSERS_REPOS[1 if distilled else 0]
    if weights_dir is not None:
        root = Path(weights_dir)
        for cand in (root, root / repo.split("/")[1]):
            if (cand / "model_index.json").is_file():
                return cand
    for snap in snapshot_dirs(repo):
        if (snap / "model_index.json").is_file():
            return snap
    return None
