"""`ltx-serve doctor`: can this machine serve LTX-2.3, and if not, what exactly is missing?

It answers the questions an operator otherwise learns one crash at a time, minutes into a
model load: is there a GPU torch can use, and how much VRAM is free; is there disk for the
weights and outputs; is each catalog file present, missing or corrupt (size against the
published size, safetensors header sanity: see `integrity`); can PyAV encode every output
type fal offers; which memory plan would the server choose.

Everything here is read-only and loads no tensors. The exit status is non-zero when
something *required* is wrong: no usable GPU, no complete model variant, a corrupt file,
no H.264/AAC encoder, or an unwritable data folder. Optional extras (other variants,
control, camera LoRAs, preprocessors, the other output codecs) are reported, not required.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ltx_serve.models.catalog import FILES, WeightFile
from ltx_serve.models.layout import find
from ltx_serve.models.memory_plan import describe_for_doctor
from ltx_serve.ops.download import VARIANTS, human_bytes
from ltx_serve.ops.integrity import FileCheck, Status, check_entry, check_file, check_folder

logger = logging.getLogger(__name__)

# fal's `video_output_type` options and the encoders each needs (video, audio).
OUTPUT_CODECS: dict[str, tuple[str, ...]] = {
    "X264 (.mp4)": ("libx264", "aac"),
    "VP9 (.webm)": ("libvpx-vp9", "libopus"),
    "PRORES4444 (.mov)": ("prores_ks", "pcm_s16le"),
    "GIF (.gif)": ("gif",),
}
REQUIRED_OUTPUT = "X264 (.mp4)"  # fal's default output type


@dataclass(frozen=True)
class GpuInfo:
    available: bool
    detail: str = ""
    name: str | None = None
    compute_capability: str | None = None
    total_vram_bytes: int | None = None
    free_vram_bytes: int | None = None
    device_count: int = 0
    torch_version: str | None = None
    cuda_version: str | None = None


@dataclass(frozen=True)
class DiskInfo:
    path: str
    exists: bool
    free_bytes: int | None
    total_bytes: int | None
    writable: bool


@dataclass(frozen=True)
class WeightStatus:
    key: str
    role: str
    groups: tuple[str, ...]
    path: str
    status: str
    size_bytes: int | None
    expected_bytes: int | None
    detail: str


@dataclass(frozen=True)
class CodecStatus:
    output_type: str
    codecs: dict[str, bool]

    @property
    def ok(self) -> bool:
        return all(self.codecs.values())


@dataclass(frozen=True)
class DoctorReport:
    gpu: GpuInfo
    disks: dict[str, DiskInfo]
    weights: list[WeightStatus]
    complete_variants: list[str]
    codecs: list[CodecStatus]
    memory_plan: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["codecs"] = [{"output_type": c.output_type, "codecs": c.codecs, "ok": c.ok} for c in self.codecs]
        data["ok"] = self.ok
        return data


def gpu_info() -> GpuInfo:
    """What torch can see. Never raises: a broken CUDA install is itself a finding."""
    try:
        import torch
    except Exception as exc:  # ImportError, or a broken CUDA library load
        return GpuInfo(False, f"torch cannot be imported: {exc}")
    version = getattr(torch, "__version__", None)
    cuda = getattr(torch.version, "cuda", None)
    try:
        if not torch.cuda.is_available():
            why = "this torch build has no CUDA (CPU wheel)" if cuda is None else "no CUDA device visible"
            return GpuInfo(False, why, torch_version=version, cuda_version=cuda)
        major, minor = torch.cuda.get_device_capability(0)
        free, total = torch.cuda.mem_get_info(0)
        return GpuInfo(
            True,
            "",
            torch.cuda.get_device_name(0),
            f"{major}.{minor}",
            int(total),
            int(free),
            torch.cuda.device_count(),
            version,
            cuda,
        )
    except Exception as exc:
        return GpuInfo(False, f"CUDA error: {exc}", torch_version=version, cuda_version=cuda)


def disk_info(path: Path) -> DiskInfo:
    """Free space where `path` lives (or would live: the nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
        free, total = usage.free, usage.total
    except OSError:
        free = total = None
    writable = os.access(probe, os.W_OK)
    return DiskInfo(str(path), path.exists(), free, total, writable)


def _check_in_hf_cache(entry: WeightFile) -> FileCheck | None:
    """The loader also finds files in the Hugging Face cache (offline); so must the doctor."""
    path = find(entry, None)
    if path is None:
        return None
    if entry.is_folder:
        check = check_folder(path)
    else:
        check = check_file(path, entry.size_bytes if path.name == entry.filename else None)
    return replace(check, detail=(check.detail + " " if check.detail else "") + "(Hugging Face cache)")


def weight_statuses(weights_dir: Path, catalog: Sequence[WeightFile] = FILES) -> list[WeightStatus]:
    """Each catalog entry in the weights folder, else in the Hugging Face cache."""
    out = []
    for entry in catalog:
        check = check_entry(entry, weights_dir)
        if check.status is Status.MISSING:
            check = _check_in_hf_cache(entry) or check
        out.append(
            WeightStatus(
                entry.key,
                str(entry.role),
                entry.groups,
                str(check.path),
                str(check.status),
                check.size_bytes,
                entry.size_bytes,
                check.detail,
            )
        )
    return out


def complete_variants(statuses: Sequence[WeightStatus], variants: Sequence[str] = VARIANTS) -> list[str]:
    """Variants whose every file is present and sound (so the server could load them)."""
    done = []
    for variant in variants:
        members = [s for s in statuses if variant in s.groups]
        if members and all(s.status == Status.OK for s in members):
            done.append(variant)
    return done


def codec_statuses() -> list[CodecStatus]:
    import av

    def has_encoder(name: str) -> bool:
        try:
            av.codec.Codec(name, "w")
        except (ValueError, av.error.FFmpegError):  # UnknownCodecError is a ValueError
            return False
        return True

    return [CodecStatus(kind, {c: has_encoder(c) for c in codecs}) for kind, codecs in OUTPUT_CODECS.items()]


def memory_plan_summary(gpu: GpuInfo) -> str:
    """The memory plan the server would pick for this GPU (idle), in one line."""
    return describe_for_doctor(gpu.total_vram_bytes, gpu.compute_capability)


def run_doctor(
    weights_dir: Path,
    data_dir: Path,
    *,
    catalog: Sequence[WeightFile] = FILES,
    gpu: GpuInfo | None = None,
) -> DoctorReport:
    """Collect every finding and decide which of them block serving."""
    gpu = gpu if gpu is not None else gpu_info()
    disks = {"weights": disk_info(weights_dir), "data": disk_info(data_dir)}
    statuses = weight_statuses(weights_dir, catalog)
    variants = complete_variants(statuses)
    codecs = codec_statuses()
    problems: list[str] = []
    warnings: list[str] = []

    if not gpu.available:
        problems.append(f"no usable GPU: {gpu.detail}. Install the NVIDIA driver / container toolkit.")
    if not variants and not weights_dir.is_dir():
        problems.append(f"weights folder {weights_dir} does not exist: run `ltx-serve weights download`.")
    elif not variants:
        problems.append(
            "no complete model variant (dev, distilled or fp8) in "
            f"{weights_dir}: run `ltx-serve weights download --weights {weights_dir}`."
        )
    for s in statuses:
        if s.status == Status.CORRUPT:
            problems.append(f"{s.key}: {s.path}: {s.detail}")
    if not disks["data"].writable:
        problems.append(f"data folder {data_dir} is not writable by this user.")
    for c in codecs:
        if not c.ok:
            missing = ", ".join(n for n, ok in c.codecs.items() if not ok)
            line = f"output type {c.output_type} unavailable: PyAV lacks {missing}"
            (problems if c.output_type == REQUIRED_OUTPUT else warnings).append(line)
    missing_optional = [s.key for s in statuses if s.status == Status.MISSING]
    if missing_optional and variants:
        warnings.append(f"not downloaded (optional here): {', '.join(missing_optional)}")
    return DoctorReport(gpu, disks, statuses, variants, codecs, memory_plan_summary(gpu), problems, warnings)


def format_report(report: DoctorReport) -> str:
    """The human table."""
    g = report.gpu
    lines = ["GPU"]
    if g.available:
        lines.append(
            f"  {g.name} (compute {g.compute_capability}), VRAM {human_bytes(g.free_vram_bytes)} free of "
            f"{human_bytes(g.total_vram_bytes)}, {g.device_count} device(s); torch {g.torch_version}, "
            f"CUDA {g.cuda_version}"
        )
    else:
        lines.append(f"  not available: {g.detail} (torch {g.torch_version})")
    lines.append("Disk")
    for name, d in report.disks.items():
        state = "" if d.exists else " (does not exist yet)"
        lines.append(
            f"  {name:8} {d.path}{state}: {human_bytes(d.free_bytes)} free of {human_bytes(d.total_bytes)}"
            + ("" if d.writable else ", NOT writable")
        )
    lines.append("Weights")
    width = max(len(s.key) for s in report.weights) if report.weights else 0
    for s in report.weights:
        size = human_bytes(s.size_bytes) if s.size_bytes is not None else ""
        detail = f"  {s.detail}" if s.status != Status.OK and s.detail else ""
        lines.append(f"  {s.key.ljust(width)}  {s.status:8} {size:>9}  {s.path}{detail}")
    complete = ", ".join(report.complete_variants) or "none"
    lines.append(f"  complete variants: {complete}")
    lines.append("Output codecs (PyAV)")
    for c in report.codecs:
        names = ", ".join(f"{n} {'ok' if ok else 'MISSING'}" for n, ok in c.codecs.items())
        lines.append(f"  {c.output_type:18} {names}")
    lines.append(f"Memory plan: {report.memory_plan}")
    for w in report.warnings:
        lines.append(f"warning: {w}")
    for p in report.problems:
        lines.append(f"PROBLEM: {p}")
    lines.append("OK: ready to serve" if report.ok else f"{len(report.problems)} problem(s) must be fixed")
    return "\n".join(lines)


def report_json(report: DoctorReport) -> str:
    return json.dumps(report.to_dict(), indent=2, default=str)
