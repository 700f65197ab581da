"""The file store: one directory per file under `<data_dir>/files/<id>/`.

Uploaded inputs and generated videos share it, so a generated URL can be fed straight back
as an input (`media.fetch` reads `/files/` URLs from here, whatever host the client used).
Metadata sits next to the bytes in `meta.json`, so the store needs no database and a file
survives restarts exactly as long as its directory does.

File ids are 128-bit random hex: a URL is unguessable, and with API keys configured the
owner recorded here decides who may read it.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from ltx_serve.errors import RequestError

logger = logging.getLogger(__name__)

_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str | None, content_type: str | None = None) -> str:
    """A name safe to use as a path segment; keeps the extension clients rely on."""
    base = Path((name or "").replace("\\", "/")).name
    base = _SAFE_NAME_RE.sub("_", base).strip("._")[:120]
    if not base:
        ext = mimetypes.guess_extension(content_type or "") or ".bin"
        base = uuid.uuid4().hex[:12] + ext
    return base


def guess_content_type(name: str, declared: str | None = None) -> str:
    if declared and declared != "application/octet-stream":
        return declared.split(";")[0].strip()
    return mimetypes.guess_type(name)[0] or declared or "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    """A finished file: where it is and what `/files/` answers about it."""

    file_id: str
    name: str
    content_type: str
    size: int
    owner: str
    created_at: float
    path: Path

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/files/{self.file_id}/{self.name}"


@dataclass(frozen=True)
class UploadSession:
    """A started upload (single PUT or multipart); its id is the capability to write to it."""

    upload_id: str
    file_id: str
    name: str
    content_type: str
    owner: str
    multipart: bool


class FileStore:
    """Create, read, upload into and expire files in `<data_dir>/files`."""

    def __init__(self, data_dir: Path, max_bytes: int) -> None:
        self.root = Path(data_dir) / "files"
        self.uploads = Path(data_dir) / "uploads"
        self.root.mkdir(parents=True, exist_ok=True)
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes

    # -- finished files ---------------------------------------------------------------
    def _meta_path(self, file_id: str) -> Path:
        return self.root / file_id / "meta.json"

    def get(self, file_id: str) -> StoredFile | None:
        if not _ID_RE.match(file_id):
            return None
        try:
            meta = json.loads(self._meta_path(file_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        path = self.root / file_id / meta["name"]
        if not path.is_file():
            return None
        return StoredFile(
            file_id=file_id,
            name=meta["name"],
            content_type=meta["content_type"],
            size=int(meta["size"]),
            owner=meta.get("owner", ""),
            created_at=float(meta["created_at"]),
            path=path,
        )

    def _commit(self, file_id: str, name: str, content_type: str, owner: str) -> StoredFile:
        path = self.root / file_id / name
        meta = {
            "name": name,
            "content_type": content_type,
            "size": path.stat().st_size,
            "owner": owner,
            "created_at": time.time(),
        }
        tmp = self._meta_path(file_id).with_suffix(".tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        tmp.replace(self._meta_path(file_id))
        stored = self.get(file_id)
        assert stored is not None
        return stored

    def put_bytes(self, data: bytes, name: str | None, content_type: str | None, owner: str) -> StoredFile:
        """Store a small payload in one go (CDN single-request upload)."""
        self._check_size(len(data))
        file_id = uuid.uuid4().hex
        safe = safe_file_name(name, content_type)
        (self.root / file_id).mkdir(parents=True)
        (self.root / file_id / safe).write_bytes(data)
        return self._commit(file_id, safe, guess_content_type(safe, content_type), owner)

    def put_path(self, src: Path, name: str | None, content_type: str | None, owner: str) -> StoredFile:
        """Move a finished file (an engine output) into the store without copying when possible."""
        file_id = uuid.uuid4().hex
        safe = safe_file_name(name or src.name, content_type)
        (self.root / file_id).mkdir(parents=True)
        shutil.move(str(src), self.root / file_id / safe)
        return self._commit(file_id, safe, guess_content_type(safe, content_type), owner)

    def delete(self, file_id: str) -> None:
        if _ID_RE.match(file_id):
            shutil.rmtree(self.root / file_id, ignore_errors=True)

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise RequestError(
                f"File too large: {size} bytes; this server accepts at most {self.max_bytes} bytes "
                "per file (setting upload_max_bytes).",
                413,
            )

    # -- uploads ----------------------------------------------------------------------
    def start_upload(
        self, name: str | None, content_type: str | None, owner: str, multipart: bool
    ) -> UploadSession:
        """Reserve a file id and an upload id; the bytes arrive later by PUT."""
        safe = safe_file_name(name, content_type)
        session = UploadSession(
            upload_id=uuid.uuid4().hex,
            file_id=uuid.uuid4().hex,
            name=safe,
            content_type=guess_content_type(safe, content_type),
            owner=owner,
            multipart=multipart,
        )
        folder = self.uploads / session.upload_id
        folder.mkdir(parents=True)
        (folder / "session.json").write_text(json.dumps(asdict(session)), encoding="utf-8")
        return session

    def get_upload(self, upload_id: str) -> UploadSession | None:
        if not _ID_RE.match(upload_id):
            return None
        try:
            data = json.loads((self.uploads / upload_id / "session.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return UploadSession(**data)

    def _require_upload(self, upload_id: str) -> UploadSession:
        session = self.get_upload(upload_id)
        if session is None:
            raise RequestError(f"Unknown or finished upload {upload_id!r}; start a new upload.", 404)
        return session

    def write_single(self, upload_id: str, data: bytes) -> StoredFile:
        """The PUT of a single-request upload: the file is complete when it returns."""
        session = self._require_upload(upload_id)
        self._check_size(len(data))
        (self.root / session.file_id).mkdir(parents=True, exist_ok=True)
        (self.root / session.file_id / session.name).write_bytes(data)
        shutil.rmtree(self.uploads / upload_id, ignore_errors=True)
        return self._commit(session.file_id, session.name, session.content_type, session.owner)

    def write_part(self, upload_id: str, part_number: int, data: bytes) -> str:
        """Store one part; returns its ETag (a content hash, as S3 does)."""
        import hashlib

        session = self._require_upload(upload_id)
        if not 1 <= part_number <= 10000:
            raise RequestError("Part numbers run from 1 to 10000.", 400)
        folder = self.uploads / session.upload_id
        used = sum(p.stat().st_size for p in folder.glob("part-*") if p.name != f"part-{part_number:05d}")
        self._check_size(used + len(data))
        (folder / f"part-{part_number:05d}").write_bytes(data)
        return hashlib.md5(data, usedforsecurity=False).hexdigest()

    def complete_multipart(self, upload_id: str, part_numbers: list[int] | None) -> StoredFile:
        """Concatenate the parts in part-number order (as S3 does: clients that upload parts
        concurrently list them in completion order) into the final file."""
        session = self._require_upload(upload_id)
        folder = self.uploads / session.upload_id
        available = {int(p.name.split("-")[1]): p for p in folder.glob("part-*")}
        order = sorted(set(part_numbers)) if part_numbers else sorted(available)
        missing = [n for n in order if n not in available]
        if missing or not order:
            raise RequestError(f"Cannot complete upload: parts {missing or 'all'} were never uploaded.", 400)
        (self.root / session.file_id).mkdir(parents=True, exist_ok=True)
        with (self.root / session.file_id / session.name).open("wb") as out:
            for n in order:
                with available[n].open("rb") as part:
                    shutil.copyfileobj(part, out, 1024 * 1024)
        shutil.rmtree(folder, ignore_errors=True)
        return self._commit(session.file_id, session.name, session.content_type, session.owner)

    def expire(self, older_than: float) -> int:
        """Delete files (and abandoned uploads) created before `older_than` (unix time)."""
        removed = 0
        for meta in self.root.glob("*/meta.json"):
            try:
                created = json.loads(meta.read_text(encoding="utf-8"))["created_at"]
            except (OSError, ValueError, KeyError):
                continue
            if created < older_than:
                shutil.rmtree(meta.parent, ignore_errors=True)
                removed += 1
        for folder in self.uploads.iterdir():
            if folder.stat().st_mtime < older_than:
                shutil.rmtree(folder, ignore_errors=True)
        return removed
