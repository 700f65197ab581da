"""Loading cost of a Lightricks single-file checkpoint: peak memory and time, in one run.

    .venv/bin/python benchmarks/load_checkpoint.py                 # ~2 GB file (CPU, bf16)
    .venv/bin/python benchmarks/load_checkpoint.py --size-gb 20    # bigger: more layers
    .venv/bin/python benchmarks/load_checkpoint.py --device cuda   # GPU target (same report)

It writes a real-format LTX-2.3 file (metadata config + Lightricks keys, bf16) whose
transformer is widened/deepened until the file has about `--size-gb`, streaming tensors to
disk so writing needs little memory. Then, each in a FRESH subprocess (after one warm-up read
so both see the same page cache):

- ours: `ltx_serve.models.single_file.load_components` (meta build + per-tensor assign);
- baseline: `safetensors.torch.load_file` (a plain full read into CPU tensors).

Reported: peak RSS / checkpoint size (whole process, and the load's own increment over the
RSS measured just before loading), and our time / load_file time. The last line is JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    """VmHWM: this process's own high-water mark (ru_maxrss would include the parent's, kept across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _touch(tensors) -> None:
    """Read one byte per page of every tensor, so lazily mapped loads pay their real I/O cost."""
    import torch

    for t in tensors:
        if t.device.type == "cpu" and t.numel():
            flat = t.detach().contiguous().view(-1).view(torch.uint8)
            int(flat[::4096].sum())
        elif t.numel():
            torch.cuda.synchronize()


def bench_config(layers: int, width_heads: int) -> dict:
    from ltx_serve.models.presets import TINY_CONFIG

    cfg = copy.deepcopy(TINY_CONFIG)
    t = cfg["transformer"]
    t.update(
        num_layers=layers,
        num_attention_heads=width_heads,
        attention_head_dim=64,
        cross_attention_dim=width_heads * 64,
        connector_num_attention_heads=width_heads,
        connector_attention_head_dim=64,
        audio_num_attention_heads=width_heads // 2,
        audio_attention_head_dim=64,
        audio_cross_attention_dim=width_heads * 32,
        audio_connector_num_attention_heads=width_heads // 2,
        audio_connector_attention_head_dim=64,
    )
    return cfg


def _shapes(config: dict) -> dict[str, tuple[int, ...]]:
    from ltx_serve.models.keymap import Component, to_lightricks
    from ltx_serve.models.single_file import build_on_meta, diffusers_config, model_classes

    classes = model_classes()
    out: dict[str, tuple[int, ...]] = {}
    for comp in Component:
        model = build_on_meta(classes[comp], diffusers_config(comp, config))
        for key, value in model.state_dict().items():
            out[to_lightricks(comp, key, config)] = tuple(value.shape)
    return out


def n_elems(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def write_checkpoint(path: Path, size_gb: float) -> dict:
    """Stream a bf16 single file of about `size_gb` to `path` (never holds it in memory)."""
    import torch

    width = 16

    def nbytes(cfg: dict) -> int:
        total = 0
        for shape in _shapes(cfg).values():
            n = 2
            for d in shape:
                n *= d
            total += n
        return total

    one, two = nbytes(bench_config(1, width)), nbytes(bench_config(2, width))
    per_layer, fixed = two - one, 2 * one - two
    layers = max(1, round((size_gb * 1e9 - fixed) / per_layer))
    config = bench_config(layers, width)
    shapes = _shapes(config)
    header: dict = {"__metadata__": {"config": json.dumps(config), "model_version": "2.3.0"}}
    offset = 0
    for key in sorted(shapes):
        n = 2
        for d in shapes[key]:
            n *= d
        header[key] = {"dtype": "BF16", "shape": list(shapes[key]), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    g = torch.Generator().manual_seed(0)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for key in sorted(shapes):
            shape = shapes[key]
            rows = shape[0] if shape else 1
            row_elems = (n_elems(shape) // rows) if rows else 0
            step = max(1, (16 << 20) // max(row_elems, 1))  # ~16M values per chunk
            for start in range(0, rows, step):
                count = min(step, rows - start) * row_elems
                chunk = (torch.randn(count, generator=g) * 0.02).to(torch.bfloat16)
                f.write(chunk.view(torch.uint8).numpy().tobytes())
    return {"layers": layers, "bytes": path.stat().st_size}


def child(kind: str, path: str, device: str) -> None:
    import torch

    if kind == "ours":
        from ltx_serve.models.single_file import load_components, model_classes

        model_classes()  # diffusers' import (~4 s, ~0.4 GB) is start-up cost, not load cost
        before = _rss_bytes()
        t0 = time.perf_counter()
        models, _ = load_components(Path(path), device=device, dtype=torch.bfloat16)
        _touch(t for m in models.values() for t in m.state_dict().values())
        seconds = time.perf_counter() - t0
    else:
        from safetensors.torch import load_file

        before = _rss_bytes()
        t0 = time.perf_counter()
        tensors = load_file(path, device=device)
        _touch(tensors.values())
        seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "peak_rss": _peak_rss_bytes(), "rss_before": before}))  # noqa: T201


def _run_child(kind: str, path: Path, device: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), "--device", device],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-gb", type=float, default=2.0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dir", type=Path, default=None, help="where to write the file (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated checkpoint")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.device)
        return
    workdir = Path(tempfile.mkdtemp(dir=args.dir))
    path = workdir / "ltx-2.3-22b-dev.safetensors"
    try:
        t0 = time.perf_counter()
        info = write_checkpoint(path, args.size_gb)
        size = info["bytes"]
        print(f"wrote {size / 1e9:.2f} GB ({info['layers']} layers) in {time.perf_counter() - t0:.1f}s")  # noqa: T201
        _run_child("load_file", path, args.device)  # warm the page cache for both
        base = _run_child("load_file", path, args.device)
        ours = _run_child("ours", path, args.device)
        result = {
            "checkpoint_bytes": size,
            "device": args.device,
            "peak_rss_over_size": round(ours["peak_rss"] / size, 3),
            "load_increment_over_size": round((ours["peak_rss"] - ours["rss_before"]) / size, 3),
            "load_file_peak_rss_over_size": round(base["peak_rss"] / size, 3),
            "ours_seconds": round(ours["seconds"], 2),
            "load_file_seconds": round(base["seconds"], 2),
            "time_over_load_file": round(ours["seconds"] / base["seconds"], 2),
        }
        for k, v in result.items():
            print(f"  {k}: {v}")  # noqa: T201
        print(json.dumps(result))  # noqa: T201
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
            workdir.rmdir()
        else:
            print(f"kept {path}")  # noqa: T201


if __name__ == "__main__":
    main()
