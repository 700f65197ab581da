"""The documented sampler recipe of each endpoint, built from its validated Input model.

A `Recipe` is plain data (no torch): which LoRAs at which scale in which stage, the sigma
schedule, the stepper, the guidance scales per modality, and the conditioning items to
build. `ltx_serve.engine.sampling` turns it into the sampler's `GenerationPlan` once the
input media are decoded. Keeping this layer pure lets the tests prove that every request
field changes the recipe as docs/endpoints.md says, without a model.

The recipes (all on the resident dev checkpoint; the distilled behaviour comes from the
distilled LoRA, so one 22B transformer serves every endpoint):

* reference-video-to-video (+ /lora): the official LTX-2.3 Union IC-LoRA workflow: one
  stage at the output size, distilled LoRA 0.5 + union IC-LoRA 1.0 (+ user LoRAs), CFG
  `guidance_scale` (1 = no unconditional pass), Euler-ancestral, the distilled sigma curve
  resampled to `num_inference_steps`, control video as the IC-LoRA reference at 1/2 size.
* video-to-video: two-stage dev + distilled LoRA (first/second pass scales), the full
  multimodal guidance set, `scheduler`, restart sampling or gradient estimation, camera
  LoRA, input video/audio kept with `video_strength`/`audio_strength`; `acceleration`.
* audio-to-video: two-stage like the quality family (distilled LoRA 0.5), the input audio
  frozen in both stages, optional first-frame image at `image_strength`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ltx_serve.engine.geometry import FrameCount, Size

REFERENCE_ENDPOINT = "fal-ai/ltx-2.3-quality/reference-video-to-video"
REFERENCE_LORA_ENDPOINT = "fal-ai/ltx-2.3-quality/reference-video-to-video/lora"
VIDEO_TO_VIDEO_ENDPOINT = "fal-ai/ltx-2.3-22b/video-to-video"
AUDIO_TO_VIDEO_ENDPOINT = "fal-ai/ltx-2.3-quality/audio-to-video"

DISTILLED_LORA = "distilled_lora"
UNION_LORA = "ic_lora_union"

# ltx-pipelines constants (utils/constants.py); the 8-step list the distilled model learned.
DISTILLED_SIGMAS: tuple[float, ...] = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0)
STAGE2_SIGMAS: tuple[float, ...] = (0.909375, 0.725, 0.421875, 0.0)

QUALITY_DISTILLED_LORA_SCALE = 0.5  # official Union workflow: dev + distilled LoRA @ 0.5
UNION_LORA_SCALE = 1.0  # official Union workflow: IC-LoRA @ 1.0
UNION_DOWNSCALE_FACTOR = 2  # the union LoRA's reference_downscale_factor ("ref0.5")
QUALITY_STEPPER = "euler_ancestral"  # the workflow's euler_ancestral_cfg_pp at CFG 1
KEYFRAME_STRENGTH = 1.0  # LTXVImgToVideoConditionOnly strength in the official workflow
STG_BLOCKS: tuple[int, ...] = (28,)  # LTX-2.3's STG block (ltx-pipelines constants)

# acceleration (video-to-video): see `apply_acceleration`.
HIGH_ACCELERATION_STEP_FRACTION = 0.6


@dataclass(frozen=True)
class Scales:
    """Guidance for one modality; neutral values (cfg 1, stg 0, modality 1) add no pass."""

    cfg: float = 1.0
    stg: float = 0.0
    modality: float = 1.0
    rescale: float = 0.0


OFF = Scales()


@dataclass(frozen=True)
class StageRecipe:
    """One denoising stage."""

    steps: int
    schedule: str = "distilled"  # ltx2 | linear_quadratic | beta | explicit (use `sigmas`)
    sigmas: tuple[float, ...] | None = None
    stepper: str = "euler"
    stepper_options: tuple[tuple[str, float], ...] = ()
    video: Scales = OFF
    audio: Scales = OFF
    stg_blocks: tuple[int, ...] = STG_BLOCKS
    loras: tuple[tuple[str, float], ...] = ()

    @property
    def guided(self) -> bool:
        """True when the stage runs an unconditional (negative-prompt) pass."""
        return self.video.cfg != 1.0 or self.audio.cfg != 1.0

    def model_passes(self) -> int:
        """Transformer passes per step (batched into one call by the sampler)."""
        v, a = self.video, self.audio
        return (
            1
            + int(self.guided)
            + int((v.stg != 0.0 or a.stg != 0.0) and bool(self.stg_blocks))
            + int(v.modality != 1.0 or a.modality != 1.0)
        )


@dataclass(frozen=True)
class Reference:
    """IC-LoRA control video, appended at 1/`downscale_factor` size; stage 1 only."""

    downscale_factor: int = UNION_DOWNSCALE_FACTOR
    strength: float = 1.0  # reference tokens stay clean, as in training
    attention_strength: float = 1.0  # fal's video_strength


@dataclass(frozen=True)
class Keyframe:
    """An input image (request field `field`) at pixel frame `frame_index`."""

    field: str
    frame_index: int
    strength: float


@dataclass(frozen=True)
class InputVideoKeep:
    """The input video kept with `strength` (video-to-video's video_strength)."""

    strength: float


@dataclass(frozen=True)
class InputAudioKeep:
    """The input's audio track as audio conditioning; strength 1.0 freezes it."""

    field: str
    strength: float


@dataclass(frozen=True)
class StartFromVideo:
    """True video-to-video: start from the VAE-encoded base video (SDEdit) at `denoise_strength`."""

    denoise_strength: float


Condition = Reference | Keyframe | InputVideoKeep | InputAudioKeep | StartFromVideo


@dataclass(frozen=True)
class UserLora:
    """A caller's LoRA: URL, scale and which branch (video/audio/both) it touches."""

    name: str
    url: str
    scale: float
    transformer: Literal["video", "audio", "both"]


@dataclass(frozen=True)
class Recipe:
    """Everything the engine needs besides decoded media."""

    endpoint_id: str
    width: int
    height: int
    gen_width: int
    gen_height: int
    num_frames: int
    fps: float
    stage1: StageRecipe
    stage2: StageRecipe | None
    negative_prompt: str | None  # None: no guided stage, the negative prompt is unused
    conditions: tuple[Condition, ...] = ()
    user_loras: tuple[UserLora, ...] = ()
    camera_lora: str | None = None  # catalog key, e.g. "camera_dolly_in"
    mux_audio: bool = True  # generate_audio
    original_audio: bool = False  # audio-to-video: the soundtrack is the caller's file
    acceleration: str = "none"
    notes: tuple[str, ...] = field(default_factory=tuple)  # logged to the job

    @property
    def two_stage(self) -> bool:
        return self.stage2 is not None

    def lora_names(self) -> set[str]:
        names = {n for stage in (self.stage1, self.stage2) if stage for n, _ in stage.loras}
        return names


def _recipe(
    endpoint_id: str,
    request: Any,
    size: Size,
    frames: FrameCount,
    fps: float,
    stage1: StageRecipe,
    stage2: StageRecipe | None,
    **rest: Any,
) -> Recipe:
    """The fields every endpoint fills the same way: geometry, whether audio is muxed, and the
    negative prompt (kept only when a stage is guided, so unguided runs never encode it)."""
    return Recipe(
        endpoint_id=endpoint_id,
        width=size.width,
        height=size.height,
        gen_width=size.gen_width,
        gen_height=size.gen_height,
        num_frames=frames.num_frames,
        fps=float(fps),
        stage1=stage1,
        stage2=stage2,
        negative_prompt=request.negative_prompt if stage1.guided else None,
        mux_audio=bool(request.generate_audio),
        **rest,
    )


# ------------------------------------------------------------------------------ schedules


def distilled_curve(steps: int) -> tuple[float, ...]:
    """The distilled sigma curve with `steps` steps.

    8 steps: exactly upstream's list. Other counts: the same curve (sigma as a piecewise
    linear function of progress t = i/8) sampled at t = j/steps, so the extra steps refine
    where the distilled model was trained to step (the high-noise plateau, then the fast
    descent) instead of switching to a schedule the distilled LoRA never saw.
    """
    if steps < 1:
        raise ValueError("steps must be >= 1")
    base = DISTILLED_SIGMAS
    n = len(base) - 1
    if steps == n:
        return base
    out = []
    for j in range(steps + 1):
        t = j * n / steps
        i = min(int(t), n - 1)
        frac = t - i
        out.append(round(base[i] + (base[i + 1] - base[i]) * frac, 8))
    out[-1] = 0.0
    return tuple(out)


def trim_sigmas(sigmas: tuple[float, ...], strength: float) -> tuple[float, ...]:
    """Drop the first round(N * (1 - strength)) steps (at least one step is kept)."""
    n = len(sigmas) - 1
    skip = min(round(n * (1.0 - strength)), n - 1)
    return sigmas[skip:]


# ------------------------------------------------------------------------------ per endpoint


def _quality_guidance(scale: float, *, audio: bool) -> tuple[Scales, Scales]:
    video = Scales(cfg=float(scale))
    return video, (Scales(cfg=float(scale)) if audio else OFF)


def _keyframes(request: Any, num_frames: int) -> tuple[Keyframe, ...]:
    """image_url at frame 0, mid_image_url at the middle (on the 8-frame latent grid), end at the last."""
    out: list[Keyframe] = []
    if getattr(request, "image_url", None):
        out.append(Keyframe("image_url", 0, KEYFRAME_STRENGTH))
    if getattr(request, "mid_image_url", None):
        mid = ((num_frames - 1) // 2) // 8 * 8
        out.append(Keyframe("mid_image_url", max(mid, 8), KEYFRAME_STRENGTH))
    if getattr(request, "end_image_url", None):
        out.append(Keyframe("end_image_url", num_frames - 1, KEYFRAME_STRENGTH))
    return tuple(out)


def reference_recipe(
    request: Any,
    size: Size,
    frames: FrameCount,
    fps: float,
    *,
    downscale_factor: int = UNION_DOWNSCALE_FACTOR,
    endpoint_id: str = REFERENCE_ENDPOINT,
) -> Recipe:
    """Union IC-LoRA workflow (see module docstring); `strength` trims the schedule unless
    `preserve_original_video`, where it is the SDEdit denoise amount."""
    sigmas = distilled_curve(request.num_inference_steps)
    conditions: list[Condition] = [
        Reference(downscale_factor=downscale_factor, attention_strength=float(request.video_strength))
    ]
    if request.preserve_original_video:
        conditions.append(StartFromVideo(float(request.strength)))
    elif request.strength < 1.0:
        sigmas = trim_sigmas(sigmas, float(request.strength))
    conditions.extend(_keyframes(request, frames.num_frames))
    user = tuple(
        UserLora(
            f"user_{i}",
            str(lora.path),
            float(lora.scale),
            str(getattr(lora.transformer, "value", lora.transformer)),
        )  # type: ignore[arg-type]
        for i, lora in enumerate(getattr(request, "loras", None) or ())
    )
    video, audio = _quality_guidance(request.guidance_scale, audio=True)
    loras = (
        (DISTILLED_LORA, QUALITY_DISTILLED_LORA_SCALE),
        (UNION_LORA, UNION_LORA_SCALE),
        *((u.name, u.scale) for u in user),
    )
    stage1 = StageRecipe(
        steps=len(sigmas) - 1,
        schedule="explicit",
        sigmas=sigmas,
        stepper=QUALITY_STEPPER,
        video=video,
        audio=audio,
        loras=loras,
    )
    notes = []
    if frames.capped:
        notes.append(
            f"num_frames {frames.requested} exceeds the IC-LoRA stability budget at "
            f"{size.width}x{size.height}; generating {frames.num_frames} frames"
        )
    return _recipe(
        endpoint_id,
        request,
        size,
        frames,
        fps,
        stage1,
        None,
        conditions=tuple(conditions),
        user_loras=user,
        notes=tuple(notes),
    )


def _v2v_stepper(request: Any) -> tuple[str, tuple[tuple[str, float], ...]]:
    """gradient_estimation_gamma > 0 wins over use_restart_sampling (the steppers exclude each other)."""
    if request.gradient_estimation_gamma > 0:
        return "gradient_estimation", (("gamma", float(request.gradient_estimation_gamma)),)
    if request.use_restart_sampling:
        return "restart", ()
    return "euler", ()


def video_to_video_recipe(
    request: Any,
    size: Size,
    frames: FrameCount,
    fps: float,
    *,
    input_has_audio: bool,
) -> Recipe:
    """Two-stage dev + distilled LoRA with the full guidance set (see module docstring)."""
    camera = None
    camera_value = str(getattr(request.camera_lora, "value", request.camera_lora))
    if camera_value != "none" and request.camera_lora_scale > 0:
        camera = f"camera_{camera_value}"
    cam = ((camera, float(request.camera_lora_scale)),) if camera else ()
    stepper, options = _v2v_stepper(request)
    video = Scales(
        cfg=float(request.video_cfg_scale),
        stg=float(request.video_stg_scale),
        modality=float(request.video_modality_scale),
        rescale=float(request.video_rescaling_scale),
    )
    audio = Scales(
        cfg=float(request.audio_cfg_scale),
        stg=float(request.audio_stg_scale),
        modality=float(request.audio_modality_scale),
        rescale=float(request.audio_rescaling_scale),
    )
    first = (
        ((DISTILLED_LORA, float(request.distill_lora_first_pass_scale)),)
        if request.distill_lora_first_pass_scale > 0
        else ()
    )
    stage1 = StageRecipe(
        steps=int(request.num_inference_steps),
        schedule=str(getattr(request.scheduler, "value", request.scheduler)),
        stepper=stepper,
        stepper_options=options,
        video=video,
        audio=audio,
        loras=first + cam,
    )
    stage2 = None
    if request.use_multiscale:
        second = (
            ((DISTILLED_LORA, float(request.distill_lora_second_pass_scale)),)
            if request.distill_lora_second_pass_scale > 0
            else ()
        )
        stage2 = StageRecipe(steps=3, schedule="explicit", sigmas=STAGE2_SIGMAS, loras=second + cam)
    conditions: list[Condition] = [InputVideoKeep(float(request.video_strength))]
    if input_has_audio:
        conditions.append(InputAudioKeep("video_url", float(request.audio_strength)))
    recipe = _recipe(
        VIDEO_TO_VIDEO_ENDPOINT,
        request,
        size,
        frames,
        fps,
        stage1,
        stage2,
        conditions=tuple(conditions),
        camera_lora=camera,
    )
    recipe = apply_acceleration(recipe, str(getattr(request.acceleration, "value", request.acceleration)))
    if not recipe.stage1.guided:
        recipe = replace(recipe, negative_prompt=None)
    return recipe


def apply_acceleration(recipe: Recipe, level: str) -> Recipe:
    """video-to-video `acceleration`, from exact to fastest (stage 2 is always the 3-step refine):

    * none: as requested.
    * regular: no restart sampling (3 fewer model calls per stage) and no STG pass
      (4 -> 3 passes per step with default scales). Trade-off: slightly weaker structure.
    * high: regular, plus no modality-isolation pass (-> cond + uncond only) and stage 1
      cut to 60 % of the steps (at least 8). About 4x fewer transformer passes than none with
      default scales; weaker A/V sync emphasis and a little less detail.
    * full: the distilled recipe in stage 1: distilled LoRA at 1.0, the 8 distilled sigmas,
      Euler, no guidance (1 pass per step). About 9x fewer passes than none; guidance scales,
      scheduler, steps and the negative prompt are ignored.
    """
    if level == "none":
        return replace(recipe, acceleration=level)
    s1 = recipe.stage1
    if level in ("regular", "high"):
        stepper, options = (s1.stepper, s1.stepper_options) if s1.stepper != "restart" else ("euler", ())
        s1 = replace(
            s1,
            stepper=stepper,
            stepper_options=options,
            video=replace(s1.video, stg=0.0),
            audio=replace(s1.audio, stg=0.0),
        )
        if level == "high":
            s1 = replace(
                s1,
                steps=max(8, round(s1.steps * HIGH_ACCELERATION_STEP_FRACTION)),
                video=replace(s1.video, modality=1.0),
                audio=replace(s1.audio, modality=1.0),
            )
        return replace(recipe, stage1=s1, acceleration=level)
    if level == "full":
        others = tuple((n, s) for n, s in s1.loras if n != DISTILLED_LORA)
        s1 = StageRecipe(
            steps=len(DISTILLED_SIGMAS) - 1,
            schedule="explicit",
            sigmas=DISTILLED_SIGMAS,
            stepper="euler",
            loras=((DISTILLED_LORA, 1.0), *others),
        )
        return replace(recipe, stage1=s1, acceleration=level)
    raise ValueError(f"unknown acceleration {level!r}")


def audio_to_video_recipe(request: Any, size: Size, frames: FrameCount, fps: float) -> Recipe:
    """Two-stage quality recipe with the caller's audio frozen; the output keeps that audio."""
    sigmas = distilled_curve(request.num_inference_steps)
    video, _ = _quality_guidance(request.guidance_scale, audio=False)
    lora = ((DISTILLED_LORA, QUALITY_DISTILLED_LORA_SCALE),)
    stage1 = StageRecipe(
        steps=len(sigmas) - 1,
        schedule="explicit",
        sigmas=sigmas,
        stepper=QUALITY_STEPPER,
        video=video,
        audio=OFF,
        loras=lora,
    )
    stage2 = StageRecipe(steps=3, schedule="explicit", sigmas=STAGE2_SIGMAS, loras=lora)
    conditions: list[Condition] = [InputAudioKeep("audio_url", 1.0)]
    if request.image_url:
        conditions.append(Keyframe("image_url", 0, float(request.image_strength)))
    return _recipe(
        AUDIO_TO_VIDEO_ENDPOINT,
        request,
        size,
        frames,
        fps,
        stage1,
        stage2,
        conditions=tuple(conditions),
        original_audio=True,
    )


# ------------------------------------------------------------------------------ dispatch


@dataclass(frozen=True)
class MediaFacts:
    """What the engine learned by probing the inputs (sizes, rates, durations)."""

    video_size: tuple[int, int] | None = None  # video_url (the base/reference video)
    video_fps: Any = None  # Fraction | float
    video_duration: float | None = None
    video_has_audio: bool = False
    image_size: tuple[int, int] | None = None  # image_url
    audio_duration: float | None = None  # audio_url


def build_recipe(
    endpoint_id: str, request: Any, facts: MediaFacts, *, downscale_factor: int = UNION_DOWNSCALE_FACTOR
) -> Recipe:
    """Geometry + preset for one validated request."""
    from ltx_serve.engine import geometry as g

    if endpoint_id in (REFERENCE_ENDPOINT, REFERENCE_LORA_ENDPOINT):
        if facts.video_size is None:
            raise ValueError("the reference endpoints need the video_url size")
        size = g.reference_video_size(
            request.resolution, source=facts.video_size, direct_control=request.uses_direct_control
        )
        frames = g.cap_ic_lora_frames(g.explicit_frames(request.num_frames), size.width, size.height)
        fps = g.output_fps(request.frames_per_second, None, match_input=False)
        return reference_recipe(
            request, size, frames, float(fps), downscale_factor=downscale_factor, endpoint_id=endpoint_id
        )
    if endpoint_id == VIDEO_TO_VIDEO_ENDPOINT:
        if facts.video_size is None:
            raise ValueError("video-to-video needs the video_url size")
        size = g.video_to_video_size(
            request.video_size, source=facts.video_size, two_stage=request.use_multiscale
        )
        fps = g.output_fps(request.fps, facts.video_fps, match_input=request.match_input_fps)
        if request.match_video_length and facts.video_duration is not None:
            frames = g.frames_from_duration(facts.video_duration, fps)
        else:
            frames = g.explicit_frames(request.num_frames)
        return video_to_video_recipe(request, size, frames, float(fps), input_has_audio=facts.video_has_audio)
    if endpoint_id == AUDIO_TO_VIDEO_ENDPOINT:
        size = g.audio_to_video_size(request.resolution, image=facts.image_size, two_stage=True)
        fps = g.output_fps(request.frames_per_second, None, match_input=False)
        if request.match_audio_length and facts.audio_duration is not None:
            frames = g.frames_from_duration(facts.audio_duration, fps)
        else:
            frames = g.explicit_frames(request.num_frames)
        return audio_to_video_recipe(request, size, frames, float(fps))
    raise ValueError(f"no recipe for endpoint {endpoint_id!r}")
