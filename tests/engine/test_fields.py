"""Every request field changes what the engine produces, as docs/endpoints.md says, shown by
running the real engine on the tiny random-weight preset.

Each test runs the endpoint's small baseline request (cached per endpoint) and the same
request, same seed, with one field changed, and compares the outputs: the frames (or the
soundtrack, for audio-only guidance), the file's size/frames/fps/streams, or the file size
(encoder settings). Fields already shown this way in `test_engine.py` (seed, custom and
'auto' sizes, num_frames, frames_per_second, generate_audio, keyframe images, user LoRAs,
the missing camera LoRA's error, frozen audio) and end to end in `tests/e2e/` (every
video_output_type, sync_mode) are not repeated here.

Speed: the tiny Gemma (full 3840 width, 48 layers) costs seconds per prompt on CPU, far more
than the tiny DiT, and its output depends only on the texts batched together. The module
therefore memoises `encode_prompts` per exact batch of texts, which returns the very
tensors a fresh call would: the sampler, guidance and encoder still run for every request.

Frames are compared as the engine handed them to the encoder (`Output.raw`), so a difference
is the model's, not the encoder's. "Has no effect" is shown by what is observable besides the
frames: the step count in the job log, the texts sent to the encoder, a LoRA file not being
needed.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ltx_serve.devtools.local_context import LocalFiles, LocalJobContext
from ltx_serve.engine import recipes as presets
from ltx_serve.engine.protocol import EngineResult
from ltx_serve.media.probe import probe
from ltx_serve.schemas.validation import validate_input

pytestmark = pytest.mark.slow

REF = presets.REFERENCE_ENDPOINT
V2V = presets.VIDEO_TO_VIDEO_ENDPOINT
A2V = presets.AUDIO_TO_VIDEO_ENDPOINT
QUICK = {"enable_prompt_expansion": False, "enable_safety_checker": False}
PROMPT = "a yellow disc bouncing over a gradient"
TINY = {"width": 64, "height": 64}


@dataclass(frozen=True)
class Output:
    result: EngineResult
    frames: np.ndarray  # decoded [F, H, W, 3] uint8
    raw: np.ndarray  # what the engine handed to the encoder, [F, H, W, 3] uint8
    audio: np.ndarray | None  # decoded [2, N] at 48 kHz, None without an audio stream
    logs: tuple[str, ...]

    @property
    def file_size(self) -> int:
        return self.result.video.path.stat().st_size

    def step_totals(self, stage: str = "stage1") -> int:
        """N of the last `<stage>: step k/N` log line: how many model steps the stage ran."""
        totals = [
            int(m.group(1)) for line in self.logs if (m := re.search(rf"{stage}: step \d+/(\d+)", line))
        ]
        return totals[-1]


@pytest.fixture(scope="module", autouse=True)
def encoded_texts() -> Iterator[list[tuple[str, ...]]]:
    """Memoises prompt encoding; yields every batch of texts the sampler asked to encode."""
    from ltx_serve.pipelines import sampler

    original = sampler.encode_prompts
    cache: dict[tuple[tuple[str, ...], int], Any] = {}
    asked: list[tuple[str, ...]] = []

    def encode(components: Any, prompts: list[str], max_length: int = 1024) -> Any:
        key = (tuple(prompts), max_length)
        asked.append(key[0])
        if key not in cache:
            cache[key] = original(components, prompts, max_length)
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sampler, "encode_prompts", encode)
        yield asked


class Runner:
    """Runs (endpoint, payload) on the engine once; a repeated request answers from the cache."""

    def __init__(self, engine: Any, root: Path) -> None:
        self.engine, self.root, self.files = engine, root, LocalFiles()
        self._cache: dict[str, Output] = {}

    def __call__(self, endpoint: str, payload: dict[str, Any]) -> Output:
        key = json.dumps([endpoint, payload], sort_keys=True)
        if key not in self._cache:
            self._cache[key] = self._run(endpoint, payload)
        return self._cache[key]

    def _run(self, endpoint: str, payload: dict[str, Any]) -> Output:
        from ltx_serve.media.audio import decode_audio
        from ltx_serve.media.decode import decode_video

        request = validate_input(endpoint, self.files.localize({**QUICK, **payload}, Path(".")))
        ctx = LocalJobContext(self.root / f"job{len(self._cache)}", endpoint_id=endpoint, files=self.files)
        generated = self.engine.generate(self.engine.prepare(endpoint, request, ctx), ctx)
        result = self.engine.finish(generated, ctx)
        path = result.video.path
        has_audio = probe(path, "video").audio is not None
        audio = decode_audio(path, "video", sample_rate=48_000).samples if has_audio else None
        frames = decode_video(path, "video").frames
        raw = np.concatenate(generated.frames)
        return Output(result, frames, raw, audio, tuple(m for _, m in ctx.logs))


@pytest.fixture(scope="module")
def run(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    return Runner(engine, tmp_path_factory.mktemp("fields"))


def png(width: int, height: int, colour: tuple[int, int, int]) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def assert_frames_differ(a: Output, b: Output) -> None:
    assert a.raw.shape == b.raw.shape
    diff = np.abs(a.raw.astype(np.float32) - b.raw.astype(np.float32)).mean()
    assert diff > 1.0, f"frames differ by only {diff:.3f} on average"


def assert_audio_differs(a: Output, b: Output) -> None:
    assert a.audio is not None and b.audio is not None
    n = min(a.audio.shape[1], b.audio.shape[1])
    diff = np.abs(a.audio[:, :n] - b.audio[:, :n]).mean()
    assert diff > 1e-4, f"soundtracks differ by only {diff:.2e} on average"


# ---------------------------------------------------------------------------------- reference


@pytest.fixture(scope="module")
def ref_base(media: dict[str, Path]) -> dict[str, Any]:
    return {
        "prompt": PROMPT,
        "video_url": str(media["video"]),
        "resolution": TINY,
        "num_frames": 9,
        "num_inference_steps": 8,
        "seed": 1,
    }


@pytest.mark.parametrize(
    "change",
    [
        {"num_inference_steps": 10},
        {"guidance_scale": 3.0},  # CFG on: a negative pass now runs
        {"video_strength": 0.2},  # weaker reference attention
        {"strength": 0.5},  # without preserve_original_video: the schedule's start is trimmed
    ],
    ids=lambda c: next(iter(c)),
)
def test_reference_field_changes_the_frames(run: Runner, ref_base: dict, change: dict) -> None:
    assert_frames_differ(run(REF, ref_base), run(REF, {**ref_base, **change}))


def test_reference_steps_and_strength_set_the_step_count(run: Runner, ref_base: dict) -> None:
    assert run(REF, ref_base).step_totals() == 8
    assert run(REF, {**ref_base, "num_inference_steps": 10}).step_totals() == 10
    assert run(REF, {**ref_base, "strength": 0.5}).step_totals() == 4  # round(8 * 0.5) skipped


def test_reference_negative_prompt_matters_only_with_guidance(
    run: Runner, ref_base: dict, encoded_texts: list[tuple[str, ...]]
) -> None:
    """At guidance_scale 1 (the default) there is no negative pass, so negative_prompt is unused:
    it never reaches the text encoder. With guidance it is encoded and changes the frames."""
    run(REF, {**ref_base, "negative_prompt": "grey fog"})
    assert not any("grey fog" in batch for batch in encoded_texts)
    guided = {**ref_base, "guidance_scale": 3.0}
    assert_frames_differ(run(REF, guided), run(REF, {**guided, "negative_prompt": "grey fog"}))
    assert encoded_texts[-1] == (PROMPT, "grey fog")


def test_reference_direct_control_and_preserve_original_video(
    run: Runner, ref_base: dict, media: dict[str, Path]
) -> None:
    """control_video_url + skip_control_preprocess replaces the built-in canny control;
    preserve_original_video starts from the VAE-encoded video and `strength` sets how many
    of the N steps run (the first round(N * (1 - strength)) are skipped)."""
    direct = {**ref_base, "control_video_url": str(media["silent"]), "skip_control_preprocess": True}
    assert_frames_differ(run(REF, ref_base), run(REF, direct))
    half = run(REF, {**direct, "preserve_original_video": True, "strength": 0.5})
    most = run(REF, {**direct, "preserve_original_video": True, "strength": 0.8})
    assert_frames_differ(run(REF, direct), half)
    assert_frames_differ(half, most)
    assert (half.step_totals(), most.step_totals()) == (4, 6)


def test_reference_num_frames_rounds_to_8k_plus_1(run: Runner, ref_base: dict) -> None:
    out = run(REF, {**ref_base, "num_frames": 13})  # between 9 and 17: ties go up
    assert out.result.video.num_frames == 17 and out.frames.shape[0] == 17


def test_video_quality_and_write_mode_change_the_file_not_the_picture(run: Runner, ref_base: dict) -> None:
    """X264: quality low/high/maximum are CRF 28/18/12; write mode `small` is a slower preset
    at CRF + 3. The sampler output is the same; only the encoding (and so the size) changes."""
    base = run(REF, ref_base)
    low = run(REF, {**ref_base, "video_quality": "low"})
    best = run(REF, {**ref_base, "video_quality": "maximum"})
    small = run(REF, {**ref_base, "video_write_mode": "small"})
    assert low.file_size < base.file_size < best.file_size
    assert small.file_size < base.file_size

    def error(other: Output) -> float:
        assert other.frames.shape == base.frames.shape
        return float(np.abs(other.frames.astype(np.float32) - base.frames.astype(np.float32)).mean())

    # The same picture, coded more or less faithfully (the tiny model's noise is hard to code).
    assert error(best) < error(low)


# ---------------------------------------------------------------------------- video-to-video


@pytest.fixture(scope="module")
def v2v_base(media: dict[str, Path]) -> dict[str, Any]:
    """Stage 1 alone (use_multiscale false): isolates what each stage-1 field does; the
    two-stage tests below show stage-1 fields also reach the default two-stage output."""
    return {
        "prompt": PROMPT,
        "video_url": str(media["video"]),
        "video_size": TINY,
        "num_frames": 9,
        "match_video_length": False,
        "match_input_fps": False,
        "fps": 24,
        "num_inference_steps": 8,
        "use_multiscale": False,
        "seed": 3,
    }


V2V_VIDEO_CHANGES = [
    {"num_inference_steps": 10},
    {"video_cfg_scale": 1.5},
    {"video_rescaling_scale": 0.0},  # applies because video CFG (3) is on
    {"video_modality_scale": 1.0},
    {"negative_prompt": "grey fog"},
    {"scheduler": "ltx2"},
    {"scheduler": "linear_quadratic"},
    {"use_restart_sampling": False},
    {"gradient_estimation_gamma": 2.0},
    {"acceleration": "regular"},
    {"acceleration": "high"},
    {"acceleration": "full"},
    {"distill_lora_first_pass_scale": 0.0},
    {"video_strength": 0.5},
]


@pytest.mark.parametrize("change", V2V_VIDEO_CHANGES, ids=lambda c: "=".join(map(str, next(iter(c.items())))))
def test_v2v_field_changes_the_frames(run: Runner, v2v_base: dict, change: dict) -> None:
    assert_frames_differ(run(V2V, v2v_base), run(V2V, {**v2v_base, **change}))


@pytest.mark.parametrize(
    "change",
    [
        {"audio_cfg_scale": 2.0},
        {"audio_rescaling_scale": 0.0},  # applies because audio CFG (7) is on
        {"audio_modality_scale": 1.0},
        {"audio_strength": 0.5},
    ],
    ids=lambda c: next(iter(c)),
)
def test_v2v_audio_field_changes_the_soundtrack(run: Runner, v2v_base: dict, change: dict) -> None:
    assert_audio_differs(run(V2V, v2v_base), run(V2V, {**v2v_base, **change}))


def test_v2v_stepper_fields_set_the_step_count(run: Runner, v2v_base: dict) -> None:
    """Restart sampling adds 3 steps (one restart from sigma 0.7); `regular` and faster drop it;
    gradient estimation takes precedence over restart, so restart's on/off then changes nothing."""
    assert run(V2V, v2v_base).step_totals() == 8 + 3
    assert run(V2V, {**v2v_base, "use_restart_sampling": False}).step_totals() == 8
    assert run(V2V, {**v2v_base, "acceleration": "regular"}).step_totals() == 8
    gamma = {**v2v_base, "gradient_estimation_gamma": 2.0}
    assert run(V2V, gamma).step_totals() == 8  # use_restart_sampling is still true here


def test_v2v_stg_scales_change_the_output(
    run: Runner, v2v_base: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STG perturbs LTX-2.3's block 28; the tiny transformer has 2 blocks, so on the tiny weights
    the perturbed pass equals the conditional one and the STG scales cannot show. This test
    points STG at the tiny model's last block (1), which is what block 28 is to the 48-block
    model: a block that exists. The scales then act as documented."""
    from ltx_serve.engine import sampling

    original = sampling.stage_plan
    monkeypatch.setattr(
        sampling, "stage_plan", lambda stage, rename=None: original(replace(stage, stg_blocks=(1,)), rename)
    )
    runner = Runner(run.engine, run.root / "stg")  # its own cache: outputs under the patch
    base = runner(V2V, v2v_base)
    assert_frames_differ(base, runner(V2V, {**v2v_base, "video_stg_scale": 0.0}))
    assert_audio_differs(base, runner(V2V, {**v2v_base, "audio_stg_scale": 1.0}))


def test_v2v_camera_lora_and_its_scale(run: Runner, v2v_base: dict) -> None:
    base = run(V2V, v2v_base)
    full = run(V2V, {**v2v_base, "camera_lora": "dolly_in"})
    half = run(V2V, {**v2v_base, "camera_lora": "dolly_in", "camera_lora_scale": 0.5})
    assert_frames_differ(base, full)
    assert_frames_differ(full, half)


def test_v2v_camera_lora_scale_0_disables_it(run: Runner, v2v_base: dict) -> None:
    """Scale 0 takes the camera LoRA out of the recipe: a motion whose file is not installed
    (jib_up; test_engine shows the 422 it gives at scale 1) then runs without complaint."""
    out = run(V2V, {**v2v_base, "camera_lora": "jib_up", "camera_lora_scale": 0.0})
    assert out.result.video.num_frames == 9


def test_v2v_fps_fields(run: Runner, v2v_base: dict) -> None:
    own = run(V2V, {**v2v_base, "fps": 12})
    assert probe(own.result.video.path, "video").video.fps == Fraction(12)  # type: ignore[union-attr]
    matched = run(V2V, {**v2v_base, "fps": 12, "match_input_fps": True})  # the source is 24 fps
    assert probe(matched.result.video.path, "video").video.fps == Fraction(24)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def v2v_two_stage(v2v_base: dict) -> dict[str, Any]:
    return {k: v for k, v in v2v_base.items() if k != "use_multiscale"}


def test_v2v_two_stage_fields(run: Runner, v2v_base: dict, v2v_two_stage: dict) -> None:
    two = run(V2V, v2v_two_stage)
    assert two.step_totals("stage2") == 3
    assert_frames_differ(run(V2V, v2v_base), two)  # use_multiscale
    assert_frames_differ(two, run(V2V, {**v2v_two_stage, "distill_lora_second_pass_scale": 0.9}))


def test_v2v_stage1_fields_reach_the_two_stage_output(run: Runner, v2v_two_stage: dict) -> None:
    """Under the soft default `video_strength` (0.01) stage 2 refines the upsampled stage-1
    latent (it used to restart from the input video, which erased every stage-1 field)."""
    two = run(V2V, v2v_two_stage)
    assert_frames_differ(two, run(V2V, {**v2v_two_stage, "video_cfg_scale": 1.5}))
    assert_frames_differ(two, run(V2V, {**v2v_two_stage, "negative_prompt": "grey fog"}))


# ---------------------------------------------------------------------------- audio-to-video


@pytest.fixture(scope="module")
def a2v_base(media: dict[str, Path]) -> dict[str, Any]:
    return {
        "prompt": PROMPT,
        "audio_url": str(media["tone"]),
        "resolution": TINY,
        "match_audio_length": False,
        "num_frames": 9,
        "num_inference_steps": 8,
        "seed": 5,
    }


@pytest.mark.parametrize(
    "change",
    [{"num_inference_steps": 10}, {"guidance_scale": 3.0}],
    ids=lambda c: next(iter(c)),
)
def test_a2v_field_changes_the_frames(run: Runner, a2v_base: dict, change: dict) -> None:
    assert_frames_differ(run(A2V, a2v_base), run(A2V, {**a2v_base, **change}))


def test_a2v_image_strength_and_generate_audio(run: Runner, a2v_base: dict) -> None:
    image = {**a2v_base, "image_url": png(64, 64, (20, 200, 20))}
    strong = run(A2V, {**image, "image_strength": 1.0})
    weak = run(A2V, {**image, "image_strength": 0.5})
    assert_frames_differ(run(A2V, a2v_base), strong)
    assert_frames_differ(strong, weak)
    assert run(A2V, a2v_base).audio is not None
    silent = run(A2V, {**a2v_base, "generate_audio": False})
    assert silent.audio is None and not silent.result.video.has_audio


# ---------------------------------------------------------------------------------- geometry


def test_geometry_caps_through_the_engines_recipe() -> None:
    """The ~720p cap and the 720p-class frame cap, checked on `presets.build_recipe` (what
    `LTXEngine.run` calls to fix the geometry): generating at 1280x704 costs ~30 s per run on
    this CPU and a capped 145-frame one minutes, too much for this file. The facts are those
    the engine probes from a 1920x1080, 30 fps, 10 s input."""
    from ltx_serve.schemas.audio_to_video import AudioToVideoInput
    from ltx_serve.schemas.reference_video_to_video import ReferenceVideoToVideoInput
    from ltx_serve.schemas.video_to_video import VideoToVideoInput

    url = "https://example.com/in.mp4"
    facts = presets.MediaFacts(
        video_size=(1920, 1080), video_fps=Fraction(30), video_duration=10.0, audio_duration=10.0
    )

    def ref(**kw: Any) -> presets.Recipe:
        return presets.build_recipe(REF, ReferenceVideoToVideoInput(prompt="x", video_url=url, **kw), facts)

    big = {"width": 1920, "height": 1080}
    capped = ref(resolution=big, num_frames=481)
    assert min(capped.width, capped.height) == 704  # ~720p cap: shorter side <= 704
    assert capped.num_frames <= 150 and capped.num_frames == 145  # 720p-class frame cap
    assert ref(resolution="square", num_frames=481).num_frames == 481  # 512x512 runs the maximum
    v2v = presets.build_recipe(V2V, VideoToVideoInput(prompt="x", video_url=url, video_size=big), facts)
    assert (v2v.width, v2v.height) == (1248, 704)
    a2v = presets.build_recipe(A2V, AudioToVideoInput(prompt="x", audio_url=url, resolution=big), facts)
    assert min(a2v.width, a2v.height) <= 704
