"""`ltx-serve weights download`: fetch the catalog's files into a weights folder.

Why a plan first: the files are large (a checkpoint is 46 GB) and some repos are gated, so
the command decides everything it can offline (which files, which are already complete,
the known total size, whether a token is needed) before it opens a single connection.
`--dry-run` prints exactly that plan.

Layout: every artefact lands at `<weights>/<catalog filename>`; folders (Gemma, depth)
at `<weights>/<folder name>/`. huggingface_hub keeps its bookkeeping in
`<weights>/.cache/huggingface/` (commit hash and ETag per file).

Resuming, at three levels:
1. Files that are already complete (published size matches and the safetensors header is
   sound, see `integrity`) are skipped without contacting the hub, so re-running the
   command after an interruption only fetches what is missing.
2. Inside one run, huggingface_hub's `http_get` resumes a broken transfer with an HTTP
   `Range` request (up to 5 retries per file). Files stored on Xet are fetched by hf-xet.
3. A file that was cut off mid-transfer by killing the process is fetched again from
   the start: huggingface_hub 2.x writes to a per-process temporary name and deletes it
   on failure (huggingface_hub PR #4228), so partial bytes do not survive a restart.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ltx_serve.models.catalog import FILES, WeightFile
from ltx_serve.ops.integrity import Status, check_entry, check_file

logger = logging.getLogger(__name__)

VARIANTS: tuple[str, ...] = ("dev", "distilled", "fp8")
DEFAULT_VARIANTS: tuple[str, ...] = ("distilled",)
HF_TOKENS_URL = "https://huggingface.co/settings/tokens"


class DownloadError(RuntimeError):
    """A download cannot proceed; the message says what the operator should do."""


@dataclass(frozen=True)
class PlanItem:
    """One artefact and what the command will do about it."""

    entry: WeightFile
    dest: Path
    # "fetch" (absent), "refetch" (present but corrupt/truncated) or "present" (skip).
    action: str
    reason: str = ""
    # --force: fetch everything again, even files that look sound.
    forced: bool = False

    @property
    def will_fetch(self) -> bool:
        return self.action != "present"


@dataclass(frozen=True)
class DownloadPlan:
    weights_dir: Path
    items: tuple[PlanItem, ...]

    @property
    def to_fetch(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.will_fetch)

    @property
    def known_bytes(self) -> int:
        """Bytes still to fetch, counting only files whose published size is known."""
        return sum(i.entry.size_bytes or 0 for i in self.to_fetch)

    @property
    def unknown_size_count(self) -> int:
        return sum(1 for i in self.to_fetch if i.entry.size_bytes is None)

    @property
    def needs_token(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.to_fetch if i.entry.gated)


def select_entries(
    variants: Iterable[str],
    *,
    control: bool = False,
    camera: bool = False,
    preprocessors: bool = False,
    catalog: Sequence[WeightFile] = FILES,
) -> list[WeightFile]:
    """The catalog entries for a set of flags, in catalog order, each once."""
    chosen = list(dict.fromkeys(variants))
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        raise DownloadError(f"unknown variant(s) {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
    groups = set(chosen)
    if control:
        groups.add("control")
    if camera:
        groups.add("camera")
    if preprocessors:
        groups.add("preprocessors")
    return [f for f in catalog if groups.intersection(f.groups)]


def plan_download(
    weights_dir: Path,
    variants: Iterable[str] = DEFAULT_VARIANTS,
    *,
    control: bool = False,
    camera: bool = False,
    preprocessors: bool = False,
    force: bool = False,
    catalog: Sequence[WeightFile] = FILES,
) -> DownloadPlan:
    """Decide, offline, what `weights download` would fetch into `weights_dir`."""
    entries = select_entries(
        variants, control=control, camera=camera, preprocessors=preprocessors, catalog=catalog
    )
    items = []
    for entry in entries:
        check = check_entry(entry, weights_dir)
        dest = weights_dir / entry.filename
        if force:
            action = "refetch" if check.status is not Status.MISSING else "fetch"
            items.append(PlanItem(entry, dest, action, "--force", forced=True))
        elif check.status is Status.OK:
            items.append(PlanItem(entry, dest, "present", check.path.name))
        elif check.status is Status.CORRUPT:
            items.append(PlanItem(entry, dest, "refetch", check.detail))
        else:
            items.append(PlanItem(entry, dest, "fetch"))
    return DownloadPlan(weights_dir, tuple(items))


def human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def format_plan(plan: DownloadPlan) -> str:
    """The table `--dry-run` prints: one line per artefact, then the totals."""
    rows = [("action", "key", "size", "repo", "file")]
    for item in plan.items:
        name = item.entry.filename + ("/" if item.entry.is_folder else "")
        flag = " (gated)" if item.entry.gated else ""
        rows.append(
            (item.action, item.entry.key, human_bytes(item.entry.size_bytes), item.entry.repo_id + flag, name)
        )
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    lines = ["  ".join(r[c].ljust(widths[c]) for c in range(4)) + "  " + r[4] for r in rows]
    lines.append("")
    lines.append(f"weights folder: {plan.weights_dir}")
    total = f"to fetch: {len(plan.to_fetch)} item(s), {human_bytes(plan.known_bytes)} known"
    if plan.unknown_size_count:
        total += f" + {plan.unknown_size_count} of unknown size"
    lines.append(total)
    for item in plan.items:
        if item.action == "refetch" and item.reason:
            lines.append(f"refetch {item.entry.key}: {item.reason}")
    if plan.needs_token:
        lines.append(gated_hint(plan.needs_token[0].entry.repo_id))
    return "\n".join(lines)


def gated_hint(repo_id: str) -> str:
    return (
        f"{repo_id} is a gated repository: sign in at https://huggingface.co/{repo_id}, accept the "
        f"licence, create a read token at {HF_TOKENS_URL} and export HF_TOKEN=<token> "
        "(or run `hf auth login`) before downloading."
    )


def _resolve_token(token: str | None) -> str | None:
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


def check_disk_space(plan: DownloadPlan) -> None:
    """Fail before a multi-hour download that cannot fit."""
    probe = plan.weights_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if plan.known_bytes > free:
        raise DownloadError(
            f"{human_bytes(plan.known_bytes)} to download but only {human_bytes(free)} free under "
            f"{probe}: free space, pick another --weights folder, or download fewer variants."
        )


def execute_plan(
    plan: DownloadPlan,
    *,
    token: str | None = None,
    endpoint: str | None = None,
    on_item: Callable[[PlanItem], None] | None = None,
) -> list[Path]:
    """Fetch every item the plan marks for fetching; return the local paths written.

    `on_item` is called before each transfer (the CLI prints a line per item).

    `endpoint` defaults to `HF_ENDPOINT` read now (huggingface_hub reads it only once, at
    import), so mirrors and the tests' local fake hub work without re-importing.
    """
    from huggingface_hub import hf_hub_download, is_offline_mode, snapshot_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError

    if plan.to_fetch and is_offline_mode():
        raise DownloadError(
            "HF_HUB_OFFLINE is set (compose.yaml sets it for the server): run the download with "
            "HF_HUB_OFFLINE=0, e.g. `docker compose run --rm -e HF_HUB_OFFLINE=0 -e HF_TOKEN ltx-serve "
            "weights download ...`."
        )
    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or None
    token = _resolve_token(token)
    if plan.needs_token and not token:
        raise DownloadError(gated_hint(plan.needs_token[0].entry.repo_id))
    plan.weights_dir.mkdir(parents=True, exist_ok=True)
    check_disk_space(plan)

    written: list[Path] = []
    for item in plan.to_fetch:
        entry = item.entry
        logger.info("fetching %s from %s (%s)", entry.filename, entry.repo_id, human_bytes(entry.size_bytes))
        if on_item is not None:
            on_item(item)
        try:
            if entry.is_folder:
                if item.action == "refetch" and not item.forced:
                    _remove_corrupt_files(item.dest)
                path = snapshot_download(
                    entry.repo_id,
                    local_dir=item.dest,
                    allow_patterns=list(entry.allow_patterns) or None,
                    endpoint=endpoint,
                    token=token,
                    force_download=item.forced,
                )
            else:
                path = hf_hub_download(
                    entry.repo_id,
                    entry.filename,
                    local_dir=plan.weights_dir,
                    endpoint=endpoint,
                    token=token,
                    # huggingface_hub trusts its recorded ETag, not the size: force a corrupt file.
                    force_download=item.action == "refetch",
                )
        except GatedRepoError as exc:
            raise DownloadError(
                f"{gated_hint(entry.repo_id)} (hub said: {exc.server_message or exc})"
            ) from exc
        except LocalEntryNotFoundError as exc:
            raise DownloadError(
                f"cannot reach the Hugging Face hub at {endpoint or 'https://huggingface.co'} to fetch "
                f"{entry.repo_id}/{entry.filename}: check the network, HF_ENDPOINT and HF_HUB_OFFLINE, or "
                f"copy the file into {plan.weights_dir} by hand. ({exc})"
            ) from exc
        except HfHubHTTPError as exc:
            raise DownloadError(
                f"download of {entry.repo_id}/{entry.filename} failed: {exc}. If the repo needs a login, "
                f"export HF_TOKEN (tokens: {HF_TOKENS_URL})."
            ) from exc
        check = check_entry(entry, plan.weights_dir)
        if check.status is not Status.OK:
            raise DownloadError(f"{entry.filename} downloaded but failed verification: {check.detail}")
        written.append(Path(path))
    return written


def _remove_corrupt_files(folder: Path) -> None:
    """Delete only the damaged shards of a folder, so a re-run fetches those and no others.

    huggingface_hub would keep a truncated shard whose recorded ETag matches, and forcing
    the whole folder would fetch 24 GB of Gemma again for one bad shard.
    """
    for shard in folder.glob("*.safetensors"):
        check = check_file(shard)
        if check.status is not Status.OK:
            logger.warning("removing damaged %s: %s", shard, check.detail)
            shard.unlink()
