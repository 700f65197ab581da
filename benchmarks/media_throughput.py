"""Media and control throughput in one run: decode, each preprocessor, encode per output type.

Run: ``.venv/bin/python benchmarks/media_throughput.py [--frames 49] [--width 256 --height 144]``.
Depth and pose use the tiny random models from ``tests/control/tiny_models.py`` (so the
numbers show pipeline overhead, not real model cost). Every figure is frames per second
measured in this same run; the last line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ltx_serve.control import ControlType, auto_control_size, render_control  # noqa: E402
from ltx_serve.control.render import to_annotator  # noqa: E402
from ltx_serve.media.decode import decode_video  # noqa: E402
from ltx_serve.media.encode import FORMATS, VideoWriter  # noqa: E402
from tests.control import tiny_models  # noqa: E402
from tests.media import synth  # noqa: E402

logger = logging.getLogger("media_throughput")


def _fps(frames: int, fn: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return frames / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--height", type=int, default=144)
    parser.add_argument("--control-frames", type=int, default=9, help="frames for the model-based controls")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results: dict[str, float | int | str] = {"frames": args.frames, "size": f"{args.width}x{args.height}"}
    frames = synth.moving_shapes(args.frames, args.width, args.height)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = synth.write_video(tmp / "src.mp4", frames, 24)
        results["decode_fps"] = _fps(args.frames, lambda: decode_video(src, "video_url"), repeat=3)

        weights = tmp / "weights"
        tiny_models.build_tiny_depth(weights / "Depth-Anything-V2-Small-hf")
        tiny_models.build_random_yolox(weights / "yolox_l.onnx")
        tiny_models.build_random_rtmpose(weights / "dw-ll_ucoco_384.onnx")
        size = auto_control_size(args.width, args.height)
        results["control_size"] = f"{size.output[0]}x{size.output[1]}"
        results["resize_to_annotator_fps"] = _fps(args.frames, lambda: to_annotator(frames, size))
        figure = synth.stick_figure(args.control_frames, args.width, args.height)
        for kind in ControlType:
            n = args.frames if kind is ControlType.CANNY else args.control_frames
            clip = frames[:n] if kind is ControlType.CANNY else figure
            render_control(kind, clip[:1], weights)  # warm-up: load models
            results[f"control_{kind.value}_fps"] = _fps(
                n, lambda k=kind, c=clip: render_control(k, c, weights)
            )

        for output_type, fmt in FORMATS.items():
            key = fmt.extension.lstrip(".")

            def encode(t: str = output_type, ext: str = fmt.extension) -> None:
                with VideoWriter(
                    tmp / f"out{ext}",
                    width=args.width,
                    height=args.height,
                    fps=24,
                    output_type=t,
                    audio_sample_rate=48_000,
                ) as writer:
                    writer.write_audio(synth.tone(args.frames / 24), 48_000)
                    for start in range(0, args.frames, 16):
                        writer.write(frames[start : start + 16])

            results[f"encode_{key}_fps"] = _fps(args.frames, encode)
    for key, value in results.items():
        logger.info("%-28s %s", key, f"{value:.1f}" if isinstance(value, float) else value)
    rounded = {k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}
    sys.stdout.write(json.dumps(rounded) + "\n")


if __name__ == "__main__":
    main()
