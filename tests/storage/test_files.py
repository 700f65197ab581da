"""FileStore: uploads, multipart assembly, size caps, expiry, safe names."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ltx_serve.errors import RequestError
from ltx_serve.storage.files import FileStore, safe_file_name
from ltx_serve.storage.tokens import TokenSigner


def test_put_and_get_round_trip_survives_a_new_store(tmp_path: Path) -> None:
    stored = FileStore(tmp_path, 1024).put_bytes(b"abc", "clip.mp4", None, owner="o1")
    again = FileStore(tmp_path, 1024).get(stored.file_id)
    assert again is not None
    assert again.path.read_bytes() == b"abc"
    assert again.content_type == "video/mp4" and again.owner == "o1" and again.size == 3
    assert stored.url("http://h:1/") == f"http://h:1/files/{stored.file_id}/clip.mp4"


def test_multipart_parts_are_joined_by_part_number(tmp_path: Path) -> None:
    store = FileStore(tmp_path, 1024)
    session = store.start_upload("big.bin", "application/octet-stream", "", multipart=True)
    etags = {n: store.write_part(session.upload_id, n, bytes([n]) * 3) for n in (2, 1, 3)}
    assert len(set(etags.values())) == 3
    done = store.complete_multipart(session.upload_id, [3, 1, 2])
    assert done.path.read_bytes() == b"\x01\x01\x01\x02\x02\x02\x03\x03\x03"
    with pytest.raises(RequestError) as info:
        store.write_part(session.upload_id, 4, b"late")
    assert info.value.status_code == 404


def test_missing_part_cannot_complete(tmp_path: Path) -> None:
    store = FileStore(tmp_path, 1024)
    session = store.start_upload("x.bin", None, "", multipart=True)
    store.write_part(session.upload_id, 1, b"a")
    with pytest.raises(RequestError, match="never uploaded"):
        store.complete_multipart(session.upload_id, [1, 2])


def test_size_cap_is_413_and_counts_all_parts(tmp_path: Path) -> None:
    store = FileStore(tmp_path, 10)
    with pytest.raises(RequestError) as info:
        store.put_bytes(b"x" * 11, "a.bin", None, "")
    assert info.value.status_code == 413
    session = store.start_upload("x.bin", None, "", multipart=True)
    store.write_part(session.upload_id, 1, b"x" * 6)
    with pytest.raises(RequestError):
        store.write_part(session.upload_id, 2, b"x" * 6)


def test_expire_removes_old_files_only(tmp_path: Path) -> None:
    store = FileStore(tmp_path, 1024)
    old = store.put_bytes(b"old", "a.txt", None, "")
    cutoff = time.time() + 0.001
    time.sleep(0.01)
    new = store.put_bytes(b"new", "b.txt", None, "")
    assert store.expire(cutoff) == 1
    assert store.get(old.file_id) is None and store.get(new.file_id) is not None


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b\\c.mp4", "", "  ", "ünïcode clip.mp4"])
def test_file_names_are_made_safe(name: str) -> None:
    safe = safe_file_name(name, "video/mp4")
    assert "/" not in safe and "\\" not in safe and ".." not in safe and safe


def test_upload_tokens_carry_owner_and_reject_tampering(tmp_path: Path) -> None:
    signer = TokenSigner(tmp_path)
    token = signer.issue("owner-a").token
    assert TokenSigner(tmp_path).verify(token) == "owner-a"  # survives restarts
    assert signer.verify(token.replace("owner-a", "owner-b")) is None
    assert signer.verify("garbage") is None
    expired = TokenSigner(tmp_path, ttl_s=-10).issue("x").token
    assert signer.verify(expired) is None
