"""The README's first command: a live demo with the official Python fal client.

Steps: make the tiny random-weight LTX-2.3 set (unless `--weights` / `$LTX_SERVE_WEIGHTS_DIR`
names real weights), synthesise a moving-shapes reference video with PyAV, start
`ltx-serve serve` on a free loopback port, wait for `/ready`, upload the video with
`fal_client.upload_file`, call `fal-ai/ltx-2.3-quality/reference-video-to-video` with
`fal_client.subscribe` (logs streamed), download the MP4, check it has a video and an audio
stream, print its path and stop the server.

The client is pointed at the server exactly as the README's "Python (fal_client)" option A
says (module URL constants), so the demo exercises the same path a user's code takes.
With the tiny weights on CPU the request is kept small (320x192, 25 frames, 8 steps, no
prompt expansion); real weights get the endpoint's defaults.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ENDPOINT = "fal-ai/ltx-2.3-quality/reference-video-to-video"
PROMPT = "A bright yellow ball bounces across a colourful studio while a white bar slides past, soft hum."
TINY_REQUEST: dict[str, Any] = {
    "resolution": {"width": 320, "height": 192},
    "num_frames": 25,
    "num_inference_steps": 8,
    "enable_prompt_expansion": False,
}


def say(message: object) -> None:
    """Demo output goes to the terminal (typer.echo, as every CLI output)."""
    import typer

    typer.echo(str(message))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def configure_fal_client(base_url: str) -> None:
    """README option A: point fal_client's hosts at ltx-serve (plain HTTP)."""
    import fal_client.client as fal_urls

    fal_urls.RUN_URL_FORMAT = f"{base_url}/run/"
    fal_urls.QUEUE_URL_FORMAT = f"{base_url}/queue/"
    fal_urls.REST_URL = f"{base_url}/rest"
    fal_urls.CDN_URL = f"{base_url}/cdn"
    os.environ.setdefault("FAL_KEY", "ltx-serve-demo")


def has_real_weights(folder: Path | None) -> bool:
    from ltx_serve.models.catalog import BY_KEY

    if folder is None or not folder.is_dir():
        return False
    return any((folder / name).is_file() for key in ("dev", "distilled") for name in BY_KEY[key].candidates)


def prepare_weights(requested: Path | None, out: Path) -> tuple[Path, bool]:
    """(weights folder, is_tiny): the given folder if it has a checkpoint, else the tiny set."""
    if requested is not None and has_real_weights(requested):
        return requested, False
    if requested is not None:
        logger.warning("%s has no LTX-2.3 checkpoint: using the tiny random-weight set", requested)
    from ltx_serve.models.tiny import make_tiny

    tiny = out / "tiny-weights"
    if not has_real_weights(tiny):
        say(f"making the tiny random-weight LTX-2.3 set in {tiny} ...")
        make_tiny(tiny, distilled=False)
    return tiny, True


def start_server(weights: Path, out: Path, port: int, *, device: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)  # the engine recognises the tiny preset and shortens its text limits
    cmd = [
        sys.executable,
        "-m",
        "ltx_serve.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--weights",
        str(weights),
        "--device",
        device,
        "--data-dir",
        str(out / "server-data"),
        "--engine",
        "ltx_serve.engine.ltx:create_engine",
    ]
    log = (out / "server.log").open("ab")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base_url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ltx-serve exited with code {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"ltx-serve was not ready after {timeout_s:.0f}s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def check_streams(path: Path) -> tuple[bool, bool]:
    from ltx_serve.media.probe import probe

    info = probe(path, "video")
    return info.video is not None, info.audio is not None


def call_endpoint(base_url: str, video: Path, request: dict[str, Any]) -> dict[str, Any]:
    import fal_client

    configure_fal_client(base_url)
    video_url = fal_client.upload_file(video)
    say(f"uploaded the reference video: {video_url}")

    printed = 0

    def on_update(update: Any) -> None:
        # Each status carries the job's logs so far; print only the new lines.
        nonlocal printed
        if isinstance(update, fal_client.InProgress):
            logs = update.logs or []
            for entry in logs[printed:]:
                say(f"  [server] {entry['message']}")
            printed = max(printed, len(logs))

    return fal_client.subscribe(
        ENDPOINT,
        arguments={"prompt": PROMPT, "video_url": video_url, **request},
        with_logs=True,
        on_queue_update=on_update,
    )


def run_demo(out: Path, weights: Path | None, *, device: str = "cpu", ready_timeout_s: float = 600) -> Path:
    """Run the whole demo; returns the downloaded MP4's path."""
    import httpx

    from ltx_serve.devtools.synthetic import write_reference_video

    out.mkdir(parents=True, exist_ok=True)
    weights_dir, tiny = prepare_weights(weights, out)
    reference = write_reference_video(out / "reference.mp4", width=320, height=192, num_frames=49)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    say(f"starting ltx-serve on {base_url} (log: {out / 'server.log'}) ...")
    proc = start_server(weights_dir, out, port, device=device)
    try:
        wait_ready(base_url, proc, ready_timeout_s)
        result = call_endpoint(base_url, reference, TINY_REQUEST if tiny else {})
        target = out / "demo.mp4"
        with httpx.stream("GET", result["video"]["url"], timeout=60) as response:
            response.raise_for_status()
            with target.open("wb") as fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
    finally:
        stop_server(proc)
    has_video, has_audio = check_streams(target)
    if not (has_video and has_audio):
        raise RuntimeError(f"{target} lacks a {'video' if not has_video else 'audio'} stream")
    video = result["video"]
    say(
        f"seed {result['seed']}, {video.get('width')}x{video.get('height')}, "
        f"{video.get('num_frames')} frames, video + audio streams present"
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=os.environ.get("LTX_SERVE_WEIGHTS_DIR") or None)
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.add_argument("--device", default=os.environ.get("LTX_SERVE_DEVICE", "cpu"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    path = run_demo(args.out, Path(args.weights) if args.weights else None, device=args.device)
    say(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
