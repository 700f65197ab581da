"""One live ltx-serve running the REAL engine on the tiny random-weight preset, and the
official Python `fal_client` redirected at it (option A of the README client section).

Module-scoped: loading the engine costs seconds and each request a few more, so the e2e
tests share one server and one set of uploaded inputs; the server stops when they end, so
no engine thread outlives them into other packages' tests.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fal_client
import fal_client.client as fal_urls
import httpx
import pytest

from ltx_serve.app import create_app
from ltx_serve.config import Settings
from tests.fakes.live import Live, serve_in_thread, wait_until

# Loading the tiny engine (Gemma 3 at full width, random weights) takes a few seconds on CPU.
READY_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Inputs:
    """URLs on the live server, as `fal_client.upload_file` returned them."""

    video: str  # 160x96, 17 frames at 24 fps, stereo tone (H.264 + AAC)
    control: str  # 96x64, 9 frames, no audio
    tone: str  # 1 s stereo WAV at 44.1 kHz
    image: str  # 80x48 PNG
    lora: str  # a camera LoRA from the tiny weights, as a user LoRA file


@pytest.fixture(scope="session")
def e2e_weights(tiny_weights_dir: Path) -> Path:
    return tiny_weights_dir


@pytest.fixture(scope="module")
def e2e_live(e2e_weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from ltx_serve.engine.ltx import create_engine

    settings = Settings(
        weights_dir=e2e_weights,
        device="cpu",
        data_dir=tmp_path_factory.mktemp("e2e-data"),
        text_max_tokens=128,
        allow_private_urls=True,
        shutdown_grace_s=5.0,
    )
    with serve_in_thread(create_app(settings, create_engine(settings))) as live:
        wait_until(
            lambda: httpx.get(f"{live.base_url}/ready").status_code == 200,
            timeout=READY_TIMEOUT_S,
            interval=0.2,
        )
        yield live


@pytest.fixture(scope="module")
def fal(e2e_live: Live) -> Iterator[fal_client.SyncClient]:
    """The official client, pointed at the live server; the module URLs are restored after
    the module, so later tests see fal_client as shipped."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fal_urls, "RUN_URL_FORMAT", f"{e2e_live.base_url}/run/")
        mp.setattr(fal_urls, "QUEUE_URL_FORMAT", f"{e2e_live.base_url}/queue/")
        mp.setattr(fal_urls, "REST_URL", f"{e2e_live.base_url}/rest")
        mp.setattr(fal_urls, "CDN_URL", f"{e2e_live.base_url}/cdn")
        yield fal_client.SyncClient(key="any-key", default_timeout=300)


@pytest.fixture(scope="module")
def inputs(fal: fal_client.SyncClient, e2e_weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    from PIL import Image

    from ltx_serve.devtools.synthetic import write_reference_video, write_tone_file

    root = tmp_path_factory.mktemp("e2e-inputs")
    video = write_reference_video(root / "ref.mp4", width=160, height=96, num_frames=17)
    control = write_reference_video(root / "control.mp4", width=96, height=64, num_frames=9, audio=False)
    tone = write_tone_file(root / "tone.wav", seconds=1.0, sample_rate=44_100)
    buf = io.BytesIO()
    Image.new("RGB", (80, 48), (200, 40, 40)).save(buf, format="PNG")
    (root / "first.png").write_bytes(buf.getvalue())
    lora = e2e_weights / "ltx-2-19b-lora-camera-control-dolly-in.safetensors"
    return Inputs(
        video=fal.upload_file(video),
        control=fal.upload_file(control),
        tone=fal.upload_file(tone),
        image=fal.upload_file(root / "first.png"),
        lora=fal.upload_file(lora),
    )
