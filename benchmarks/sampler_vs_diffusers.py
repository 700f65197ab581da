"""Our sampler vs diffusers' LTX2Pipeline on the same tiny job, plus transformer calls per preset.

Run: `.venv/bin/python benchmarks/sampler_vs_diffusers.py [--repeats 5] [--size 128] [--steps 8]`.

Both sides run the same text-to-video job on the tiny LTX-2.3 set (`make_tiny`, float32, CPU):
same prompts, same initial noise, full official guidance (CFG + STG + modality + rescale on
video and audio), latents out (no VAE decode, so the sampler is what is timed). Each side is
warmed once, then timed `repeats` times; the medians give `ratio = ours / diffusers` (goal <= 1).
Then the transformer calls (and batch sizes) per job are counted for the endpoint-shaped jobs
below. The last line printed is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ltx_serve.pipelines.conditioning import LatentAudio, ReferenceVideo  # noqa: E402
from ltx_serve.pipelines.guidance import AUDIO_DEFAULT, OFF, VIDEO_DEFAULT, Guidance  # noqa: E402
from ltx_serve.pipelines.latents import denormalize_audio_tokens  # noqa: E402
from ltx_serve.pipelines.plan import GenerationPlan, StagePlan, stage2_default  # noqa: E402
from ltx_serve.pipelines.sampler import generate  # noqa: E402
from ltx_serve.pipelines.text import PromptEmbeddings, connect, gemma_hidden_states  # noqa: E402
from tests.pipelines.diffusers_reference import diffusers_pipeline  # noqa: E402

logger = logging.getLogger("bench")
FULL = Guidance(video=VIDEO_DEFAULT, audio=AUDIO_DEFAULT, stg_blocks=(1,))


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _split(emb: PromptEmbeddings) -> list[PromptEmbeddings]:
    return [
        PromptEmbeddings(emb.video[i : i + 1], emb.audio[i : i + 1], emb.mask[i : i + 1]) for i in range(2)
    ]


def _count_calls(c, plan: GenerationPlan) -> list[int]:
    sizes: list[int] = []
    orig = c.transformer.forward

    def counted(*a, **k):
        sizes.append(int(k["hidden_states"].shape[0]))
        return orig(*a, **k)

    c.transformer.forward = counted
    try:
        generate(c, plan)
    finally:
        del c.transformer.forward
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--frames", type=int, default=17)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_grad_enabled(False)

    from ltx_serve.models.components import load_components
    from ltx_serve.models.tiny import make_tiny
    from ltx_serve.pipelines.schedules import ltx2

    c = load_components(make_tiny(tempfile.mkdtemp(), distilled=False), dtype=torch.float32)
    size, frames, fps = args.size, args.frames, 24.0
    sigmas = tuple(float(s) for s in ltx2(args.steps))
    g = torch.Generator().manual_seed(0)
    n_tok = ((frames - 1) // 8 + 1) * (size // 32) ** 2
    vn = torch.randn(1, n_tok, c.transformer.config.in_channels, generator=g)
    an = torch.randn(1, round(frames / fps * 25), c.transformer.config.audio_in_channels, generator=g)
    # Gemma runs once outside the timing (identical work for both; it dominates on the tiny set);
    # the connectors run inside each timed job on both sides.
    hidden, mask = gemma_hidden_states(
        c.text_encoder, c.tokenizer, ["a lighthouse in a storm", "blurry"], 128
    )

    def our_job() -> object:
        pos, neg = _split(connect(c.connectors, hidden, mask))
        return generate(c, replace(plan, prompt=pos, negative_prompt=neg))

    plan = GenerationPlan(
        width=size,
        height=size,
        num_frames=frames,
        fps=fps,
        seed=0,
        prompt="a lighthouse in a storm",
        negative_prompt="blurry",
        stage1=StagePlan(sigmas=sigmas, guidance=FULL),
        max_sequence_length=128,
        output="latents",
        initial_noise=(vn, an),
    )
    pipe = diffusers_pipeline(c)

    def run_diffusers() -> object:
        return pipe(
            prompt_embeds=hidden[:1],
            prompt_attention_mask=mask[:1],
            negative_prompt_embeds=hidden[1:],
            negative_prompt_attention_mask=mask[1:],
            height=size,
            width=size,
            num_frames=frames,
            frame_rate=fps,
            sigmas=list(sigmas[:-1]),
            **FULL.diffusers_kwargs(),
            latents=vn.clone(),
            audio_latents=denormalize_audio_tokens(an, c.audio_vae),
            max_sequence_length=128,
            output_type="latent",
            return_dict=False,
        )

    ours_s = _median_time(our_job, args.repeats)
    diff_s = _median_time(run_diffusers, args.repeats)
    ratio = ours_s / diff_s
    logger.info(
        "tiny T2V %dx%dx%d, %d steps, full guidance: ours %.3fs, diffusers %.3fs, ratio %.3f",
        size,
        size,
        frames,
        args.steps,
        ours_s,
        diff_s,
        ratio,
    )

    # Transformer calls per endpoint-shaped job (tiny geometry; counts do not depend on size).
    ref = torch.randint(0, 256, (9, 32, 32, 3), dtype=torch.uint8)
    a_frames = round(9 / fps * 25)
    a_tokens = torch.randn(1, a_frames, c.transformer.config.audio_in_channels)
    p_emb, n_emb = _split(connect(c.connectors, hidden, mask))
    base = dict(
        width=128,
        height=128,
        num_frames=9,
        fps=fps,
        seed=0,
        prompt=p_emb,
        negative_prompt=n_emb,
        max_sequence_length=128,
        output="latents",
    )
    jobs = {
        # Union IC-LoRA, distilled sigmas, CFG 1, single stage at the control size.
        "reference-video-to-video": GenerationPlan(
            **base,
            stage1=StagePlan(schedule="distilled", steps=8, guidance=Guidance(OFF, OFF)),
            conditions=(ReferenceVideo(ref, downscale_factor=2),),
        ),
        # Multiscale: 15 guided steps (CFG + STG + modality, video and audio) + 3 distilled stage-2 steps.
        "video-to-video": GenerationPlan(
            **base,
            stage1=StagePlan(schedule="ltx2", steps=15, guidance=Guidance(VIDEO_DEFAULT, AUDIO_DEFAULT)),
            stage2=stage2_default(),
        ),
        # A2V two-stage: audio frozen; video guided (CFG + STG + modality), audio guider off.
        "audio-to-video": GenerationPlan(
            **base,
            stage1=StagePlan(schedule="ltx2", steps=30, guidance=Guidance(VIDEO_DEFAULT, OFF)),
            stage2=stage2_default(),
            conditions=(LatentAudio(a_tokens, strength=1.0),),
        ),
    }
    calls: dict[str, dict[str, object]] = {}
    for name, job in jobs.items():
        sizes = _count_calls(c, job)
        calls[name] = {"calls": len(sizes), "batch_sizes": sizes}
        logger.info("%s: %d transformer calls, batch sizes %s", name, len(sizes), sorted(set(sizes)))
    sys.stdout.write(
        json.dumps(
            {
                "ratio": round(ratio, 4),
                "ours_s": round(ours_s, 4),
                "diffusers_s": round(diff_s, 4),
                "job": {
                    "size": size,
                    "frames": frames,
                    "steps": args.steps,
                    "guidance": "cfg+stg+modality+rescale",
                },
                "transformer_calls": {k: v["calls"] for k, v in calls.items()},
                "batch_sizes": {k: sorted(set(v["batch_sizes"])) for k, v in calls.items()},
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
