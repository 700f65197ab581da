"""`ltx-serve doctor`: file verdicts, codecs, JSON output and the exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ltx_serve.models.catalog import Role, WeightFile
from ltx_serve.ops.commands import doctor
from ltx_serve.ops.doctor import GpuInfo, codec_statuses, run_doctor
from ltx_serve.ops.integrity import Status, check_file, check_safetensors_header
from tests.ops.safetensors_files import raw_safetensors, write_safetensors


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """valid, truncated, corrupt-header and (absent) missing files."""
    w = tmp_path / "weights"
    good = write_safetensors(w / "good.safetensors")
    (w / "truncated.safetensors").write_bytes(good[:-10])
    (w / "bad-header.safetensors").write_bytes(raw_safetensors({}, b"")[:8] + b"{not json" + b"\0" * 40)
    return w


def entry(
    key: str, filename: str, size: int | None = None, groups: tuple[str, ...] = ("distilled",)
) -> WeightFile:
    return WeightFile(
        key=key, role=Role.CHECKPOINT, repo_id="acme/x", filename=filename, size_bytes=size, groups=groups
    )


def test_valid_file_passes_header_check(folder: Path) -> None:
    ok, problem, tensors = check_safetensors_header(folder / "good.safetensors")
    assert (ok, problem, tensors) == (True, "", 2)
    assert check_file(folder / "good.safetensors").status is Status.OK


def test_truncated_file_is_corrupt_and_says_so(folder: Path) -> None:
    check = check_file(folder / "truncated.safetensors")
    assert check.status is Status.CORRUPT
    assert "truncated" in check.detail and "weights download" in check.detail


def test_corrupt_header_is_reported(folder: Path) -> None:
    check = check_file(folder / "bad-header.safetensors")
    assert check.status is Status.CORRUPT
    assert "header" in check.detail


def test_header_length_past_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes((10_000).to_bytes(8, "little") + b"{}")
    assert check_file(path).status is Status.CORRUPT


def test_tensor_size_inconsistent_with_dtype_and_shape(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    header = {"w": {"dtype": "BF16", "shape": [4, 4], "data_offsets": [0, 16]}}  # needs 32 bytes
    path.write_bytes(raw_safetensors(header, b"\0" * 16))
    check = check_file(path)
    assert check.status is Status.CORRUPT and "expected 32" in check.detail


def test_size_against_published_size(folder: Path) -> None:
    size = (folder / "good.safetensors").stat().st_size
    assert check_file(folder / "good.safetensors", size).status is Status.OK
    wrong = check_file(folder / "good.safetensors", size + 1)
    assert wrong.status is Status.CORRUPT and "truncated" in wrong.detail


def test_report_classifies_each_file(folder: Path, tmp_path: Path) -> None:
    catalog = [
        entry("good", "good.safetensors"),
        entry("trunc", "truncated.safetensors", groups=("dev",)),
        entry("header", "bad-header.safetensors", groups=("fp8",)),
        entry("absent", "absent.safetensors", groups=("camera",)),
    ]
    report = run_doctor(folder, tmp_path / "data", catalog=catalog, gpu=GpuInfo(True, name="test"))
    verdicts = {w.key: w.status for w in report.weights}
    assert verdicts == {"good": "ok", "trunc": "corrupt", "header": "corrupt", "absent": "missing"}
    assert report.complete_variants == ["distilled"]
    # corrupt files are problems; a missing optional file is only a warning
    assert any("trunc" in p for p in report.problems) and any("header" in p for p in report.problems)
    assert not any("absent" in p for p in report.problems)
    assert any("absent" in w for w in report.warnings)


def test_complete_variant_and_gpu_means_ok(folder: Path, tmp_path: Path) -> None:
    report = run_doctor(
        folder, tmp_path / "data", catalog=[entry("good", "good.safetensors")], gpu=GpuInfo(True)
    )
    assert report.ok, report.problems


def test_no_gpu_or_no_variant_is_a_problem(tmp_path: Path) -> None:
    report = run_doctor(
        tmp_path / "nowhere",
        tmp_path / "data",
        catalog=[entry("a", "a.safetensors")],
        gpu=GpuInfo(False, "no CUDA"),
    )
    assert not report.ok
    assert any("no usable GPU" in p for p in report.problems)
    assert any("weights download" in p for p in report.problems)


def test_this_machines_pyav_can_encode_the_default_output() -> None:
    mp4 = next(c for c in codec_statuses() if c.output_type == "X264 (.mp4)")
    assert mp4.codecs == {"libx264": True, "aac": True}


def test_cli_json_and_exit_status(folder: Path, tmp_path: Path) -> None:
    """The real command on this CPU box: real catalog, empty folder, so it must fail."""
    app = typer.Typer()
    app.command()(doctor)
    result = CliRunner().invoke(app, ["--weights", str(folder), "--data-dir", str(tmp_path / "d"), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert {w["key"] for w in data["weights"]} >= {"dev", "distilled", "gemma", "pose_detector"}
    assert all(w["status"] == "missing" for w in data["weights"])
    assert data["disks"]["weights"]["free_bytes"] > 0


def test_cli_human_table(folder: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(doctor)
    result = CliRunner().invoke(app, ["--weights", str(folder), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1
    for heading in ("GPU", "Disk", "Weights", "Output codecs", "Memory plan", "PROBLEM"):
        assert heading in result.stdout


def test_files_in_the_hugging_face_cache_count_like_the_loader_sees_them(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "hub"
    snap = cache / "models--acme--x" / "snapshots" / ("a" * 40)
    write_safetensors(snap / "cached.safetensors")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    report = run_doctor(
        tmp_path / "empty", tmp_path / "data", catalog=[entry("c", "cached.safetensors")], gpu=GpuInfo(True)
    )
    (status,) = report.weights
    assert status.status == "ok" and "Hugging Face cache" in status.detail
    assert report.complete_variants == ["distilled"]
    assert report.ok, report.problems
