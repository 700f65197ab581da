"""Fetching, probing and decoding a request's media into sampler conditioning items.

Two passes, because geometry depends on the inputs and decoding depends on geometry:
`probe_inputs` fetches every URL (SSRF-safe, via `ctx.fetch`) and reads sizes, rates and
durations (`MediaFacts`); after the recipe is fixed, `decode_conditions` decodes each input at
the generation size / fps / frame count and builds the sampler's conditioning items.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ltx_serve.engine.recipes import (
    InputAudioKeep,
    InputVideoKeep,
    Keyframe,
    MediaFacts,
    Recipe,
    Reference,
    StartFromVideo,
)

logger = logging.getLogger(__name__)

URL_FIELDS = ("video_url", "control_video_url", "image_url", "mid_image_url", "end_image_url", "audio_url")


@dataclass
class FetchedInputs:
    """Local files per request field, the probed facts, and decoded images (reused)."""

    paths: dict[str, Path] = field(default_factory=dict)
    facts: MediaFacts = field(default_factory=MediaFacts)
    images: dict[str, np.ndarray] = field(default_factory=dict)
    audio_rates: dict[str, int] = field(default_factory=dict)  # per field: its audio's own rate


def probe_inputs(request: Any, ctx: Any) -> FetchedInputs:
    """Fetch every media URL the request sets and describe it."""
    from ltx_serve.media.image import load_image
    from ltx_serve.media.probe import (
        DEFAULT_MAX_PIXELS,
        DEFAULT_MAX_SECONDS,
        probe,
        require_audio,
        require_video,
    )

    out = FetchedInputs()
    for name in URL_FIELDS:
        url = getattr(request, name, None)
        if url:
            out.paths[name] = Path(ctx.fetch(url, name))
    facts: dict[str, Any] = {}
    if "video_url" in out.paths:
        info = probe(out.paths["video_url"], "video_url")
        video = require_video(
            info, "video_url", max_seconds=DEFAULT_MAX_SECONDS, max_pixels=DEFAULT_MAX_PIXELS
        )
        if info.audio is not None and info.audio.sample_rate:
            out.audio_rates["video_url"] = info.audio.sample_rate
        facts.update(
            video_size=(video.width, video.height),
            video_fps=video.fps,
            video_duration=video.duration,
            video_has_audio=info.audio is not None,
        )
    for name in ("image_url", "mid_image_url", "end_image_url"):
        if name in out.paths:
            out.images[name] = load_image(out.paths[name], name)
    if "image_url" in out.images:
        img = out.images["image_url"]
        facts["image_size"] = (int(img.shape[1]), int(img.shape[0]))
    if "audio_url" in out.paths:
        info = probe(out.paths["audio_url"], "audio_url")
        audio = require_audio(info, "audio_url")
        facts["audio_duration"] = audio.duration or info.duration
        if audio.sample_rate:
            out.audio_rates["audio_url"] = audio.sample_rate
    out.facts = MediaFacts(**facts)
    return out


def _frames(path: Path, field_name: str, recipe: Recipe, size: tuple[int, int]) -> np.ndarray:
    from ltx_serve.media.decode import decode_video
    from ltx_serve.media.resize import ResizeMode

    decoded = decode_video(
        path,
        field_name,
        fps=recipe.fps,
        num_frames=recipe.num_frames,
        size=size,
        resize=ResizeMode.COVER,
        pad=True,
    )
    return decoded.frames


def control_frames(
    request: Any, fetched: FetchedInputs, recipe: Recipe, weights_dir: Path | None
) -> np.ndarray:
    """The IC-LoRA control video at the generation size.

    Direct control: `control_video_url` resampled to the output size and frame count.
    Built-in: `video_url` decoded at the workflow's 544-px short side, then the control
    package's estimator (`control_type`, default Canny as the official workflow).
    """
    from ltx_serve.control.render import render_control
    from ltx_serve.control.resolution import ControlSize
    from ltx_serve.media.resize import short_side_size

    size = (recipe.gen_width, recipe.gen_height)
    if request.uses_direct_control:
        return _frames(fetched.paths["control_video_url"], "control_video_url", recipe, size)
    src = fetched.facts.video_size or size
    reference = short_side_size(*src, 544)
    frames = _frames(fetched.paths["video_url"], "video_url", recipe, reference)
    control = ControlSize(reference=reference, annotator=short_side_size(*src, 512), output=size)
    kind = str(getattr(request.control_type, "value", request.control_type))
    return render_control(kind, frames, Path(weights_dir or "weights"), size=control)


def decode_conditions(
    request: Any,
    fetched: FetchedInputs,
    recipe: Recipe,
    components: Any,
    *,
    weights_dir: Path | None,
    log: Any = None,
) -> tuple[list[Any], tuple[np.ndarray, int] | None]:
    """Build the sampler's conditioning items; also returns the caller's soundtrack to mux
    unchanged ([2, N] float, its own sample rate) when the audio is frozen (audio-to-video, or
    video-to-video with audio_strength 1), else None (the generated audio is muxed)."""
    import torch

    from ltx_serve.media.audio import decode_audio
    from ltx_serve.pipelines.conditioning import (
        ImageCondition,
        InitialVideo,
        InputAudio,
        InputVideo,
        ReferenceVideo,
    )

    size = (recipe.gen_width, recipe.gen_height)
    duration = recipe.num_frames / recipe.fps
    items: list[Any] = []
    soundtrack: tuple[np.ndarray, int] | None = None
    for cond in recipe.conditions:
        if isinstance(cond, Reference):
            frames = control_frames(request, fetched, recipe, weights_dir)
            if log is not None:
                log(f"control video: {frames.shape[0]} frames at {frames.shape[2]}x{frames.shape[1]}")
            items.append(
                ReferenceVideo(
                    torch.from_numpy(np.ascontiguousarray(frames)),
                    downscale_factor=cond.downscale_factor,
                    strength=cond.strength,
                    attention_strength=cond.attention_strength,
                )
            )
        elif isinstance(cond, StartFromVideo):
            frames = _frames(fetched.paths["video_url"], "video_url", recipe, size)
            items.append(InitialVideo(torch.from_numpy(frames), denoise_strength=cond.denoise_strength))
        elif isinstance(cond, InputVideoKeep):
            frames = _frames(fetched.paths["video_url"], "video_url", recipe, size)
            items.append(InputVideo(torch.from_numpy(frames), strength=cond.strength))
        elif isinstance(cond, Keyframe):
            image = fetched.images[cond.field]
            items.append(
                ImageCondition(torch.from_numpy(image), frame_index=cond.frame_index, strength=cond.strength)
            )
        elif isinstance(cond, InputAudioKeep):
            # The sampler encodes it (16 kHz log-mel -> audio VAE) and, in stage 2, refines the
            # stage-1 audio under a soft strength instead of restarting from the input.
            rate = int(components.audio_vae.config.sample_rate)
            audio = decode_audio(fetched.paths[cond.field], cond.field, sample_rate=rate, duration=duration)
            items.append(InputAudio(torch.from_numpy(audio.samples), strength=cond.strength))
            if recipe.original_audio or cond.strength >= 1.0:
                native = fetched.audio_rates.get(cond.field, 48_000)
                original = decode_audio(
                    fetched.paths[cond.field], cond.field, sample_rate=native, duration=duration
                )
                soundtrack = (original.samples, native)
        else:  # pragma: no cover - presets only build the kinds above
            raise TypeError(f"unknown condition {cond!r}")
    return items, soundtrack
