"""`create_engine(settings)`: the LTX-2.3 engine behind the four fal endpoints.

One resident model set (dev checkpoint, Gemma 3, upsampler) plus named LoRAs in the model
registry serve every endpoint. A request runs in three stages (the `StagedEngine` protocol,
so the worker can overlap jobs):

- `prepare` (host): fetch and probe the inputs, fix the geometry and the endpoint's recipe
  (`presets.py`), fetch user LoRAs, decode the inputs into conditioning items (`inputs.py`);
- `generate` (GPU): optionally expand the prompt (`prompt_expansion.py`), run the sampler with
  progress/cancel hooks, decode the frames to host uint8 (centre-cropping two-stage output back
  to its 32-px size), run the safety checker on sampled frames;
- `finish` (host): encode the frames and mux the generated audio or the caller's own
  (audio-to-video), report megapixels; for the reference endpoints also encode the control
  video the IC-LoRA was guided by, as the `control_video` extra (the playground shows it
  beside the reference; fal's output JSON never carries it).

`run` chains the three on one thread (CLI, bench).

Settings (`ltx_serve.config.Settings`) read: `weights_dir`, `device` (falls back to CPU with
a warning when CUDA is absent), `data_dir` (user-LoRA cache), `text_max_tokens`,
`expansion_max_tokens`, `safety_missing`, the memory-plan overrides (`weights_dtype`,
`text_encoder_placement`, `vae_tiling`) and `compile_transformer`. With the tiny test preset
(recognised by its transformer config) unset token limits default to 128 and 16, so a CPU
demo is not dominated by the 3840-wide tiny Gemma.

Start-up order (each step needs the previous one): memory plan from the free GPU memory
(`models.memory_plan.detect_plan`) -> load laid out as the plan says (`load_for_plan`: fp8
storage, VAE tiling, Gemma offload) -> LoRA registry -> `accel.prepare_transformer`
(attention backend per role, opt-in compile + warm-up). An offloaded Gemma is moved to the
GPU only inside `memory_plan.text_encoder_ready`, around prompt encoding and expansion.

Attention and IC-LoRA masks: the sampler feeds the attention-strength bias as `attention_mask`
to every block's `attn1` through a forward pre-hook (`pipelines.denoise.self_attention_bias`),
so it goes through that processor's backend: it does not bypass it. The engine chooses the
backends with `needs_self_attn_mask=False` (mask-free video self-attention gets the fastest
kernel for every request without a bias) and runs requests that bring a bias inside
`accel.attention.self_attention_mask_scope`, which switches `attn1` to the mask-capable
backend for that sampler call (a no-op on CPU, where every role is `native`).
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ltx_serve.config import Settings
from ltx_serve.engine import recipes as presets
from ltx_serve.engine.geometry import megapixels
from ltx_serve.engine.protocol import EngineResult, GeneratedVideo, JobContext
from ltx_serve.errors import EngineUnavailable, FieldError, RequestError
from ltx_serve.models.memory_plan import (
    MemoryOverrides,
    MemoryPlan,
    WeightsDtype,
    detect_plan,
    text_encoder_ready,
)

logger = logging.getLogger(__name__)

DEFAULT_TEXT_MAX_TOKENS = 1024
TINY_TEXT_MAX_TOKENS = 128
TINY_EXPANSION_MAX_TOKENS = 16
ProgressFn = Callable[[str, int, int], None]


class MissingModelFile(RequestError):
    """A LoRA the endpoint's recipe needs is not installed: the operator's to fix.

    500, not 503: retrying (fal's JS client retries 503) cannot help until files are placed.
    """

    status_code = 500


def is_tiny_preset(config: dict[str, Any]) -> bool:
    """True for checkpoints made by `ltx-serve weights make-tiny` (their transformer config)."""
    from ltx_serve.models.presets import TINY_CONFIG

    tiny = TINY_CONFIG["transformer"]
    ours = (config or {}).get("transformer", {})
    keys = ("num_layers", "attention_head_dim", "cross_attention_dim")
    return all(ours.get(k) == tiny[k] for k in keys)


def resolve_weights_dir(settings: Settings) -> Path | None:
    return settings.weights_dir


_WEIGHTS_DTYPES: dict[str, WeightsDtype] = {"bf16": "bfloat16", "fp8": "float8_e4m3fn"}


def memory_overrides(settings: Settings) -> MemoryOverrides:
    """The operator's memory settings as the planner's overrides (`auto`/None: the planner decides)."""
    placement = settings.text_encoder_placement
    return MemoryOverrides(
        weights_dtype=_WEIGHTS_DTYPES.get(settings.weights_dtype),
        text_encoder=None if placement == "auto" else placement,
        vae_tiling=settings.vae_tiling,
    )


def plan_summary(plan: MemoryPlan) -> dict[str, Any]:
    """The plan as `/ready` shows it: the one-line description plus its fields."""
    return {"summary": plan.describe(), **asdict(plan), "notes": list(plan.notes)}


# The source the warm-up geometries assume: a 16:9 720p clip at 24 fps with a soundtrack,
# 121 frames long (the reference endpoint's default count; the others match the source's).
WARMUP_SOURCE = presets.MediaFacts(
    video_size=(1280, 720),
    video_fps=Fraction(24),
    video_duration=121 / 24,
    video_has_audio=True,
    audio_duration=121 / 24,
)
WARMUP_REQUESTS: dict[str, dict[str, str]] = {
    presets.REFERENCE_ENDPOINT: {"video_url": "https://warmup.invalid/source.mp4"},
    presets.VIDEO_TO_VIDEO_ENDPOINT: {"video_url": "https://warmup.invalid/source.mp4"},
    presets.AUDIO_TO_VIDEO_ENDPOINT: {"audio_url": "https://warmup.invalid/source.wav"},
}


def needs_self_attention_mask(recipe: presets.Recipe) -> bool:
    """True when the sampler will bias video self-attention (as `apply_conditions` decides)."""
    ref = next((c for c in recipe.conditions if isinstance(c, presets.Reference)), None)
    return ref is not None and not math.isclose(float(ref.attention_strength), 1.0)


def recipe_warmup_shapes(recipe: presets.Recipe, text_tokens: int) -> list[Any]:
    """The transformer call shapes one recipe makes: stage 1 (with the IC-LoRA guide), stage 2."""
    from ltx_serve.accel.compile import VAE_SPACE, WarmupShape

    two = recipe.stage2 is not None
    w1, h1 = (recipe.gen_width // 2, recipe.gen_height // 2) if two else (recipe.gen_width, recipe.gen_height)
    ref = next((c for c in recipe.conditions if isinstance(c, presets.Reference)), None)
    guide = 0
    if ref is not None:
        cell = VAE_SPACE * ref.downscale_factor
        guide = (1 + (recipe.num_frames - 1) // 8) * (h1 // cell) * (w1 // cell)
    stages = [(recipe.stage1, w1, h1, guide)]
    if recipe.stage2 is not None:
        stages.append((recipe.stage2, recipe.gen_width, recipe.gen_height, 0))
    shapes = []
    for stage, w, h, g in stages:
        stg = stage.video.stg != 0.0 or stage.audio.stg != 0.0
        shapes.append(
            WarmupShape(
                width=w,
                height=h,
                num_frames=recipe.num_frames,
                fps=recipe.fps,
                batch=stage.model_passes(),
                text_tokens=text_tokens,
                guide_tokens=g,
                self_attention_mask=bool(g) and needs_self_attention_mask(recipe),
                stg_blocks=tuple(stage.stg_blocks) if stg else (),
            )
        )
    return shapes


def preset_warmup_shapes(text_tokens: int) -> tuple[Any, ...]:
    """Warm-up shapes of every endpoint's default request on `WARMUP_SOURCE`, without repeats.

    Derived from the presets rather than listed, so a change of a default (frames, size,
    guidance passes) changes what is compiled at start-up with it.
    """
    from ltx_serve.schemas.validation import validate_input

    shapes: list[Any] = []
    for endpoint, media in WARMUP_REQUESTS.items():
        request = validate_input(endpoint, {"prompt": "warm-up", **media})
        recipe = presets.build_recipe(endpoint, request, WARMUP_SOURCE)
        shapes.extend(s for s in recipe_warmup_shapes(recipe, text_tokens) if s not in shapes)
    return tuple(shapes)


@dataclass(frozen=True)
class PreparedJob:
    """What `prepare` hands to `generate`: the recipe and decoded conditions, all in host memory."""

    request: Any
    recipe: presets.Recipe
    seed: int
    check_safety: bool
    image: Any  # the first-frame image (numpy) prompt expansion may look at, if any
    conditions: tuple[Any, ...]
    lora_names: dict[str, str]
    soundtrack: tuple[Any, int] | None  # the caller's audio to mux unchanged, at its own rate
    timings: dict[str, float]
    control: Any = None  # numpy [F, H, W, 3] uint8: the IC-LoRA control video, if the recipe has one


@dataclass(frozen=True)
class GeneratedJob:
    """What `generate` hands to `finish`: cropped uint8 frame chunks and the audio to mux."""

    prepared: PreparedJob
    prompt: str
    frames: tuple[Any, ...]  # numpy [n, H, W, 3] uint8 chunks at the output size
    audio: tuple[Any, int] | None  # ([2, N] float waveform, sample rate), None: no audio stream
    timings: dict[str, float]


class LTXEngine:
    """The Engine protocol over the resident LTX-2.3 components."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.weights_dir = resolve_weights_dir(settings)
        self._explicit_text_tokens = settings.text_max_tokens is not None
        self._explicit_expansion_tokens = settings.expansion_max_tokens is not None
        self.text_max_tokens = settings.text_max_tokens or DEFAULT_TEXT_MAX_TOKENS
        self.expansion_max_tokens = settings.expansion_max_tokens or 512
        self.device_name = settings.device
        self.cache_dir = settings.data_dir / "lora_cache"
        self.components: Any = None
        self.registry: Any = None
        self.safety: Any = None
        self.processor: Any = None  # Gemma 3 processor: shows the first-frame image to prompt expansion
        self.memory_plan: MemoryPlan | None = None  # chosen in `load`
        self.accel: Any = None  # `accel.prepare.AccelState`: attention backends, compile
        self.on_progress: ProgressFn | None = None
        self._ready = threading.Event()
        self._prefetch_allowed: bool | None = None
        self._info: dict[str, Any] = {"engine": "ltx-2.3", "weights_dir": str(self.weights_dir)}

    # -- lifecycle ---------------------------------------------------------------------------------

    def load(self) -> None:
        import torch

        from ltx_serve.engine.safety import SafetyChecker
        from ltx_serve.models.components import load_components, load_for_plan
        from ltx_serve.models.memory_plan import apply_plan
        from ltx_serve.models.registry import ModelRegistry

        device = self.device_name
        if device.startswith("cuda") and not torch.cuda.is_available():
            logger.warning("device %r requested but CUDA is not available: running on CPU", device)
            device = "cpu"
        self.device_name = device
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        started = time.perf_counter()
        self.memory_plan = self._choose_plan(device)
        if device.startswith("cuda"):
            self.components = load_for_plan(self.weights_dir, self.memory_plan, device=device, variant="dev")
        else:
            # `load_for_plan` loads bf16; the CPU keeps float32 (bf16 matmuls are slow there) and
            # the same layout step, so a simulated plan behaves on CPU as it would on a GPU.
            self.components = load_components(self.weights_dir, device=device, dtype=dtype, variant="dev")
            apply_plan(self.components, self.memory_plan, device)
        self.registry = ModelRegistry(self.components)
        if is_tiny_preset(self.components.config):
            if not self._explicit_text_tokens:
                self.text_max_tokens = TINY_TEXT_MAX_TOKENS
            if not self._explicit_expansion_tokens:
                self.expansion_max_tokens = TINY_EXPANSION_MAX_TOKENS
            logger.info("tiny test preset loaded: random weights, outputs are noise")
        found = self.registry.register_catalog_loras()
        for needed in (presets.DISTILLED_LORA, presets.UNION_LORA):
            if needed not in found:
                logger.warning(
                    "LoRA %r not found in %s: endpoints that need it answer 500", needed, self.weights_dir
                )
        self.accel = self._prepare_transformer(device, dtype)
        if self.components.text_encoder is not None:
            from ltx_serve.engine.prompt_expansion import load_processor
            from ltx_serve.models import layout
            from ltx_serve.models.catalog import BY_KEY

            self.processor = load_processor(layout.find(BY_KEY["gemma"], self.weights_dir))
        policy = self.settings.safety_missing
        self.safety = SafetyChecker.load(self.weights_dir, policy, device=device)
        self._info.update(
            device=device,
            dtype=str(dtype).removeprefix("torch."),
            variant=self.components.variant,
            checkpoint=str(self.components.checkpoint_path),
            loras=sorted(found),
            prompt_expansion=self.components.text_encoder is not None,
            prompt_expansion_sees_images=self.processor is not None,
            safety_checker=self.safety.describe(),
            text_max_tokens=self.text_max_tokens,
            expansion_max_tokens=self.expansion_max_tokens,
            memory_plan=plan_summary(self.memory_plan),
            accel=self.accel.describe(),
            load_seconds=round(time.perf_counter() - started, 2),
        )
        self._ready.set()
        logger.info("LTX engine ready: %s", self._info)

    def _choose_plan(self, device: str) -> MemoryPlan:
        """The memory plan for `device` (logged by `detect_plan`), honest about the CPU's float32."""
        overrides = memory_overrides(self.settings)
        plan = detect_plan(device, overrides)
        if device.startswith("cuda"):
            return plan
        if overrides != MemoryOverrides():
            logger.warning("memory settings %s are ignored on CPU: float32, everything resident", overrides)
        # the CPU path loads float32 (see `load`), so the plan reports that instead of bf16
        return replace(plan, weights_dtype="float32", compute_dtype="float32")  # type: ignore[arg-type]

    def _prepare_transformer(self, device: str, dtype: Any) -> Any:
        """Attention backends (mask-free choice, see the module docstring), opt-in compile + warm-up."""
        from ltx_serve.accel.attention import detect_device_info
        from ltx_serve.accel.prepare import AccelOptions, prepare_transformer

        compile_ = self.settings.compile_transformer
        options = AccelOptions(
            needs_self_attn_mask=False,
            compile=compile_,
            warmup_shapes=preset_warmup_shapes(self.text_max_tokens) if compile_ else (),
        )
        return prepare_transformer(
            self.components.transformer, detect_device_info(device), options, compute_dtype=dtype
        )

    def _text_encoder(self) -> Any:
        """`with self._text_encoder() as gemma:` Gemma on its encoding device for the block only."""
        return text_encoder_ready(self.components, self.memory_plan, self.device_name)

    def is_ready(self) -> bool:
        return self._ready.is_set()

    def info(self) -> dict[str, Any]:
        return dict(self._info)

    # -- one request -------------------------------------------------------------------------------

    def _require_loras(self, recipe: presets.Recipe) -> None:
        from ltx_serve.models.catalog import BY_KEY

        known = self.registry.known_loras
        for name in sorted(recipe.lora_names()):
            if name.startswith("user_") or name in known:
                continue
            entry = BY_KEY.get(name)
            where = f"{entry.filename} (Hugging Face {entry.repo_id})" if entry else name
            if name.startswith("camera_"):
                motion = name.removeprefix("camera_")
                raise FieldError(
                    "camera_lora",
                    f"The camera LoRA '{motion}' is not installed on this server: the operator must put "
                    f"{where} in {self.weights_dir}. Use camera_lora='none' meanwhile.",
                    input_value=motion,
                )
            raise MissingModelFile(
                f"This endpoint needs the LoRA {where}, which is not installed in {self.weights_dir}."
            )

    def _prompt(self, request: Any, image: Any, seed: int, ctx: JobContext) -> str:
        prompt = str(request.prompt)
        if not getattr(request, "enable_prompt_expansion", False):
            return prompt
        c = self.components
        if c.text_encoder is None:
            ctx.log("prompt expansion skipped: no Gemma loaded", "WARN")
            return prompt
        from ltx_serve.engine.prompt_expansion import expand_prompt

        with self._text_encoder() as gemma:
            expanded = expand_prompt(
                gemma,
                c.tokenizer,
                prompt,
                seed=seed,
                image=image,
                processor=self.processor,
                max_new_tokens=self.expansion_max_tokens,
            )
        if expanded is None:
            ctx.log("prompt expansion produced nothing usable; using the original prompt", "WARN")
            return prompt
        ctx.log(f"expanded prompt: {expanded}")
        return expanded

    def room_for_prefetch(self) -> bool:
        """The memory rule for overlapping jobs (`memory_plan.prefetch_allowed`), logged on change."""
        from ltx_serve.models.memory_plan import host_available_bytes, prefetch_allowed

        if self.memory_plan is None:
            return False
        allowed, why = prefetch_allowed(
            self.memory_plan, host_available_bytes(), on_gpu=self.device_name.startswith("cuda")
        )
        if allowed != self._prefetch_allowed:
            self._prefetch_allowed = allowed
            if allowed:
                logger.info("job overlap on: the next job's inputs are prepared during denoising")
            else:
                logger.info("job overlap off (%s): jobs run one after another", why)
        return allowed

    def run(self, endpoint_id: str, request: BaseModel, ctx: JobContext) -> EngineResult:
        """One job start to end on the calling thread (CLI, bench); the worker calls the stages."""
        return self.finish(self.generate(self.prepare(endpoint_id, request, ctx), ctx), ctx)

    def prepare(self, endpoint_id: str, request: BaseModel, ctx: JobContext) -> PreparedJob:
        """Host side: fetch and probe inputs, fix the recipe, fetch user LoRAs, decode conditions.

        Runs beside another job's `generate`: it only reads the resident models (LoRAs are
        parsed into the registry's cache, not activated).
        """
        if not self.is_ready():
            raise EngineUnavailable("The model is still loading; retry when /ready answers 200.")
        from ltx_serve.engine.inputs import decode_conditions, probe_inputs
        from ltx_serve.engine.user_loras import prepare_user_loras

        req: Any = request
        started = time.perf_counter()
        seed = int(req.seed) if req.seed is not None else secrets.randbelow(2**63)
        check_safety = self.safety.before_run(bool(getattr(req, "enable_safety_checker", False)), ctx.log)
        fetched = probe_inputs(req, ctx)
        factor = presets.UNION_DOWNSCALE_FACTOR
        is_reference = endpoint_id in (presets.REFERENCE_ENDPOINT, presets.REFERENCE_LORA_ENDPOINT)
        if is_reference and presets.UNION_LORA in self.registry.known_loras:
            factor = self.registry.lora(presets.UNION_LORA).reference_downscale_factor or factor
        recipe = presets.build_recipe(endpoint_id, req, fetched.facts, downscale_factor=factor)
        self._require_loras(recipe)
        ctx.log(
            f"{recipe.width}x{recipe.height}, {recipe.num_frames} frames at {recipe.fps:g} fps, "
            f"{'two' if recipe.two_stage else 'one'}-stage, {recipe.stage1.steps} steps, seed {seed}"
        )
        for note in recipe.notes:
            ctx.log(note, "WARN")
        names = prepare_user_loras(recipe.user_loras, ctx, self.registry, self.cache_dir)
        conditions, soundtrack = decode_conditions(
            req, fetched, recipe, self.components, weights_dir=self.weights_dir, log=ctx.log
        )
        from ltx_serve.pipelines.conditioning import ReferenceVideo

        # The control frames are already in host memory for the guide; keeping a view costs nothing.
        control = next((c.frames.numpy() for c in conditions if isinstance(c, ReferenceVideo)), None)
        return PreparedJob(
            request=req,
            recipe=recipe,
            seed=seed,
            check_safety=check_safety,
            image=fetched.images.get("image_url"),
            conditions=tuple(conditions),
            lora_names=names,
            soundtrack=soundtrack,
            timings={"inputs": round(time.perf_counter() - started, 3)},
            control=control,
        )

    def generate(self, prepared: PreparedJob, ctx: JobContext) -> GeneratedJob:
        """The GPU: prompt (expansion), sampling, VAE decode into host frames, safety check."""
        from ltx_serve.accel.attention import self_attention_mask_scope
        from ltx_serve.engine.safety import sample_indices
        from ltx_serve.engine.sampling import PlanInputs, centre_crop, generation_plan
        from ltx_serve.pipelines.sampler import generate

        recipe, timings = prepared.recipe, dict(prepared.timings)
        mark = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            timings[name] = round(now - mark, 3)
            mark = now

        prompt = self._prompt(prepared.request, prepared.image, prepared.seed, ctx)
        lap("prompt")

        def on_step(stage: str, step: int, total: int, sigma: float) -> None:
            ctx.log(f"{stage}: step {step + 1}/{total} (sigma {sigma:.4f})")
            if self.on_progress is not None:
                self.on_progress(stage, step + 1, total)

        plan = generation_plan(
            recipe,
            PlanInputs(
                prompt=prompt,
                seed=prepared.seed,
                conditions=prepared.conditions,
                lora_names=prepared.lora_names,
                max_sequence_length=self.text_max_tokens,
                on_step=on_step,
                check_cancel=ctx.raise_if_cancelled,
            ),
        )
        try:
            masked = needs_self_attention_mask(recipe)
            with (
                self_attention_mask_scope(self.components.transformer, self.accel.attention)
                if masked
                else nullcontext()
            ):
                result = generate(
                    self.components, plan, lora_control=self.registry, text_encoder_scope=self._text_encoder
                )
            lap("sampling")
            # The decoder streams chunks; keep them as host uint8 so the GPU is free for the next
            # job while `finish` encodes (121 frames of 1280x720 are ~0.33 GB).
            frames = []
            for chunk in result.frames or ():
                ctx.raise_if_cancelled()
                frames.append(centre_crop(chunk, recipe.width, recipe.height).cpu().numpy())
            lap("decode")
        finally:
            self.registry.clear_loras()
        if prepared.soundtrack is not None and (recipe.original_audio or result.waveform is None):
            audio = prepared.soundtrack  # frozen input audio: mux the caller's waveform itself
        elif result.waveform is not None:
            audio = (result.waveform.numpy(), int(result.sample_rate or 48_000))
        else:
            audio = None
        if prepared.check_safety:
            wanted = sample_indices(recipe.num_frames)
            every = [f for chunk in frames for f in chunk]
            score = self.safety.check([every[i] for i in wanted if i < len(every)])
            ctx.log(f"safety checker: max NSFW score {score:.3f}")
            lap("safety")
        return GeneratedJob(
            prepared=prepared,
            prompt=prompt,
            frames=tuple(frames),
            audio=audio if recipe.mux_audio else None,
            timings=timings,
        )

    def finish(self, generated: GeneratedJob, ctx: JobContext) -> EngineResult:
        """Host side: encode the frames (and mux the audio) into the requested container."""
        from ltx_serve.media.encode import VideoWriter, get_format

        req, recipe = generated.prepared.request, generated.prepared.recipe
        started = time.perf_counter()
        output_type = str(getattr(getattr(req, "video_output_type", None), "value", None) or "X264 (.mp4)")
        fmt = get_format(output_type)
        path = Path(ctx.work_dir) / f"{ctx.request_id or 'output'}{fmt.extension}"
        audio = generated.audio
        writer = VideoWriter(
            path,
            width=recipe.width,
            height=recipe.height,
            fps=recipe.fps,
            output_type=output_type,
            quality=str(getattr(req.video_quality, "value", req.video_quality)),
            write_mode=str(getattr(req.video_write_mode, "value", req.video_write_mode)),
            audio_sample_rate=audio[1] if audio is not None else None,
        )
        with writer:
            if audio is not None:
                writer.write_audio(*audio)
            for frames in generated.frames:
                ctx.raise_if_cancelled()
                writer.write(frames)
        video = writer.result
        extras: dict[str, GeneratedVideo] = {}
        if generated.prepared.control is not None:
            extras["control_video"] = self._encode_control(generated.prepared.control, recipe.fps, ctx)
        timings = {**generated.timings, "encode": round(time.perf_counter() - started, 3)}
        return EngineResult(
            video=video.to_generated(),
            seed=generated.prepared.seed,
            prompt=generated.prompt,
            megapixels=megapixels(video.width, video.height, video.num_frames),
            timings=timings,
            extras=extras,
        )

    def _encode_control(self, frames: Any, fps: Any, ctx: JobContext) -> GeneratedVideo:
        """The control video as a small H.264 MP4 (fast preset: it is for looking at, not for
        delivery), at the rate of the output so the two play in step."""
        from ltx_serve.media.encode import VideoWriter

        path = Path(ctx.work_dir) / "control.mp4"
        writer = VideoWriter(
            path,
            width=int(frames.shape[2]),
            height=int(frames.shape[1]),
            fps=fps,
            quality="medium",
            write_mode="fast",
        )
        with writer:
            writer.write(frames)
        return writer.result.to_generated()


def create_engine(settings: Settings) -> LTXEngine:
    """Engine factory for `ltx-serve serve --engine ltx_serve.engine.ltx:create_engine`."""
    return LTXEngine(settings)
