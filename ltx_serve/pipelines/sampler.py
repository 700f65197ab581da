"""The LTX-2.3 sampler entry point: components + a validated `GenerationPlan` -> latents / media.

One code path for every mode: text/image-to-video, keyframes, IC-LoRA reference video,
video-to-video (input-video strength or SDEdit start), audio-to-video (frozen audio), single
or multiscale. Modes differ only in the plan's conditioning items, guidance, schedules and
LoRA scales.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace

import torch

from ltx_serve.pipelines.conditioning import LatentStart, LatentState, apply_conditions, used_in_stage2
from ltx_serve.pipelines.denoise import Contexts, noise_state, run_stage
from ltx_serve.pipelines.encode import encode_conditions
from ltx_serve.pipelines.guidance import Pass
from ltx_serve.pipelines.latents import (
    AudioGrid,
    VideoGrid,
    audio_positions,
    pack_video,
    unpack_video,
    video_positions,
)
from ltx_serve.pipelines.multiscale import upsample_latents
from ltx_serve.pipelines.plan import Components, GenerationPlan, LoraControl, StagePlan
from ltx_serve.pipelines.steppers import make_stepper
from ltx_serve.pipelines.text import PromptEmbeddings, encode_prompts
from ltx_serve.pipelines.timing import StageTimer

logger = logging.getLogger(__name__)

# Makes the text encoder usable for the block (e.g. `memory_plan.text_encoder_ready`).
TextEncoderScope = Callable[[], AbstractContextManager[object]]


@dataclass(frozen=True)
class GenerationResult:
    video_latent: torch.Tensor  # normalised [1, C, F, H, W]
    audio_latent: torch.Tensor  # normalised packed [1, T, C*M]
    audio_frozen: bool  # True: the caller's input audio is the soundtrack (audio-to-video)
    frames: Iterator[torch.Tensor] | None = None  # uint8 [f, H, W, 3] chunks when decoded
    waveform: torch.Tensor | None = None  # float [2, samples] in [-1, 1], None if audio frozen
    sample_rate: int | None = None
    # Seconds per stage: prompt_encode, condition_encode, lora_switch, stage1, upsample,
    # stage2, audio_decode, vae_decode. `vae_decode` keeps growing while `frames` is consumed, so a
    # caller that encodes the frames gets its own encode time as (loop wall - vae_decode).
    timings: dict[str, float] = field(default_factory=dict)


def _initial_states(
    grid: VideoGrid, agrid: AudioGrid, fps: float, device: torch.device
) -> tuple[LatentState, LatentState]:
    """Empty (all-zero, fully denoised) states on the transformer's device, float32."""
    n, t = grid.tokens, agrid.frames
    video = LatentState(
        latent=torch.zeros(1, n, grid.channels, device=device),
        clean=torch.zeros(1, n, grid.channels, device=device),
        mask=torch.ones(1, n, 1, device=device),
        positions=video_positions(grid.frames, grid.height, grid.width, fps, device=device),
        target_tokens=n,
    )
    audio = LatentState(
        latent=torch.zeros(1, t, agrid.features, device=device),
        clean=torch.zeros(1, t, agrid.features, device=device),
        mask=torch.ones(1, t, 1, device=device),
        positions=audio_positions(t, device=device),
        target_tokens=t,
    )
    return video, audio


def _randn(shape: torch.Size, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """Noise is always drawn from the CPU generator: a seed gives the same video on any device."""
    return torch.randn(shape, generator=gen).to(device)


def _contexts(components: Components, plan: GenerationPlan) -> Contexts:
    """Encode the prompt (and the negative one only if some stage runs an unconditional pass).

    Text prompts go through Gemma in one batch; pre-computed embeddings pass through.
    """
    stages = [plan.stage1] + ([plan.stage2] if plan.stage2 is not None else [])
    needs_neg = any(Pass.UNCOND in s.guidance.passes() for s in stages)
    wanted = [plan.prompt] + ([plan.negative_prompt] if needs_neg else [])
    texts = [p for p in wanted if isinstance(p, str)]
    encoded = iter(encode_prompts(components, texts, plan.max_sequence_length))
    done = [p if isinstance(p, PromptEmbeddings) else next(encoded) for p in wanted]
    return Contexts(positive=done[0], negative=done[1] if needs_neg else None)


def _noise_like(state: LatentState, given: torch.Tensor | None, gen: torch.Generator) -> torch.Tensor:
    dev = state.latent.device
    if given is None:
        return _randn(state.latent.shape, gen, dev)
    if given.ndim == 5:
        given = pack_video(given)
    given = given.to(dev)
    pad = state.latent.shape[1] - given.shape[1]
    return torch.cat([given, torch.zeros(1, pad, given.shape[2], device=dev)], dim=1) if pad else given


def _run(
    components: Components,
    plan: GenerationPlan,
    stage_name: str,
    stage: StagePlan,
    video: LatentState,
    audio: LatentState,
    ctx: Contexts,
    gen: torch.Generator,
    lora_control: LoraControl | None,
    timer: StageTimer,
) -> tuple[LatentState, LatentState]:
    """One denoising stage, timed apart from its LoRA switch (fusing LoRAs is not DiT work)."""
    if lora_control is not None:
        with timer.stage("lora_switch"):
            lora_control.set_loras(dict(stage.loras))
    sigmas = stage.make_sigmas()
    with timer.stage(stage_name):
        return run_stage(
            components.transformer,
            video,
            audio,
            sigmas,
            make_stepper(stage.stepper, **dict(stage.stepper_options)),
            stage.guidance,
            ctx,
            stage=stage_name,
            generator=gen,
            use_cross_timestep=plan.use_cross_timestep,
            on_step=plan.on_step,
            check_cancel=plan.check_cancel,
        )


@torch.no_grad()
def generate(
    components: Components,
    plan: GenerationPlan,
    lora_control: LoraControl | None = None,
    text_encoder_scope: TextEncoderScope | None = None,
) -> GenerationResult:
    """Validate the plan, then run stage 1 (and stage 2 when multiscale); decode if asked.

    `text_encoder_scope` wraps prompt encoding only: under an "offload" memory plan Gemma is
    on the GPU just for that, so the transformer has the memory while it samples. The onload
    copy is inside the `prompt_encode` timing, where it belongs.
    """
    plan.validate()
    c = components
    timer = StageTimer()
    scope = text_encoder_scope or nullcontext
    with timer.stage("prompt_encode"), scope():
        ctx = _contexts(c, plan)
    gen = torch.Generator().manual_seed(plan.seed)
    h1, w1 = plan.stage1_size()
    channels = c.transformer.config.in_channels
    device = next(c.transformer.parameters()).device
    grid = VideoGrid.from_pixels(plan.num_frames, h1, w1, channels)
    agrid = AudioGrid(
        AudioGrid.frames_for(plan.num_frames, plan.fps),
        c.audio_vae.config.mel_bins // 4,
        c.audio_vae.config.latent_channels,
    )

    # Stage 1.
    with timer.stage("condition_encode"):
        items = encode_conditions(
            plan.conditions,
            c.vae,
            height=h1,
            width=w1,
            num_frames=plan.num_frames,
            fps=plan.fps,
            audio_vae=c.audio_vae,
        )
    video, audio = _initial_states(grid, agrid, plan.fps, device)
    video, audio = apply_conditions(items, video, audio, fps=plan.fps)
    sigmas = plan.stage1.make_sigmas()
    start = next((i for i in items if isinstance(i, LatentStart)), None)
    stage1 = plan.stage1
    if start is not None:
        n = len(sigmas) - 1
        skip = min(round(n * (1.0 - start.denoise_strength)), n - 1)
        sigmas = sigmas[skip:]
        stage1 = replace(stage1, sigmas=tuple(float(s) for s in sigmas))
    noise = plan.initial_noise or (None, None)
    v_noise = _noise_like(video, noise[0], gen)
    a_noise = _noise_like(audio, noise[1], gen)
    video = noise_state(video, v_noise, float(sigmas[0]))
    audio = noise_state(audio, a_noise, float(sigmas[0]))
    video, audio = _run(c, plan, "stage1", stage1, video, audio, ctx, gen, lora_control, timer)
    latent = unpack_video(video.target(video.latent), grid.frames, grid.height, grid.width)
    audio_tokens = audio.target(audio.latent)

    # Stage 2: x2 upsample, re-noise at the first stage-2 sigma, refine (no reference/start).
    if plan.stage2 is not None:
        with timer.stage("upsample"):
            up = upsample_latents(c.upsampler, c.vae, latent)
        grid2 = VideoGrid(grid.frames, up.shape[3], up.shape[4], channels)
        items2 = [i for i in plan.conditions if used_in_stage2(i)]
        with timer.stage("condition_encode"):
            enc2 = encode_conditions(
                items2,
                c.vae,
                height=plan.height,
                width=plan.width,
                num_frames=plan.num_frames,
                fps=plan.fps,
                audio_vae=c.audio_vae,
                refine=True,
            )
        video, audio2 = _initial_states(grid2, agrid, plan.fps, device)
        tok = pack_video(up).to(device)
        video = replace(video, latent=tok.clone(), clean=tok.clone())
        audio2 = replace(audio2, latent=audio_tokens.clone(), clean=audio_tokens.clone())  # same device
        video, audio2 = apply_conditions(enc2, video, audio2, fps=plan.fps)
        sig2 = float(plan.stage2.make_sigmas()[0])
        video = noise_state(video, _randn(video.latent.shape, gen, device), sig2)
        audio2 = noise_state(audio2, _randn(audio2.latent.shape, gen, device), sig2)
        video, audio2 = _run(c, plan, "stage2", plan.stage2, video, audio2, ctx, gen, lora_control, timer)
        latent = unpack_video(video.target(video.latent), grid2.frames, grid2.height, grid2.width)
        audio_tokens = audio2.target(audio2.latent)
        audio = audio2

    result = GenerationResult(
        video_latent=latent, audio_latent=audio_tokens, audio_frozen=audio.frozen, timings=timer.timings
    )
    if plan.output == "decoded":
        from ltx_serve.pipelines.decode import decode_audio, decode_video_chunks

        frames = timer.iterate("vae_decode", decode_video_chunks(c.vae, latent))
        wave, sr = None, None
        if not audio.frozen:
            with timer.stage("audio_decode"):
                wave, sr = decode_audio(c.audio_vae, c.vocoder, audio_tokens, agrid.mel_bins)
        result = replace(result, frames=frames, waveform=wave, sample_rate=sr)
    return result
