"""Output geometry for the four endpoints: size, frame count, frame rate, megapixels.

Pure functions (no torch, no I/O) so every rule below is unit-tested without a model.

Size rules (see docs/endpoints.md, "Geometry"):

* Presets are fal's image-size presets (square_hd 1024x1024, square 512x512, portrait_4_3
  768x1024, portrait_16_9 576x1024, landscape_4_3 1024x768, landscape_16_9 1024x576);
  `{width, height}` objects are custom sizes.
* The ~720p cap: when the shorter side exceeds 704 px the size is scaled down so it is 704,
  keeping the aspect ratio (fal: "generated at up to ~720p (shorter side capped at 704px)").
* Alignment: every side is rounded to the NEAREST multiple of the endpoint's grid (never
  below one multiple; the short side is floored instead when rounding up would break the
  cap). The IC-LoRA endpoints output multiples of 64 (32 x the union LoRA's
  `reference_downscale_factor` 2, so the half-size reference is itself on the 32-px latent
  grid). The other endpoints output multiples of 32 (fal reports e.g. 1248x704); when they
  sample two-stage (multiscale needs multiples of 64) the generation size is the output size
  rounded UP to 64 and the decoded frames are centre-cropped back to the output size.
* 'auto' per endpoint: reference-video with built-in control -> the official Union
  workflow's control size (short side 544 -> annotator 512 -> floored to multiples of 64:
  16:9 gives 896x512); reference-video in direct-control mode -> the source video's size
  (capped, aligned); video-to-video -> the input video's size (capped, aligned);
  audio-to-video -> the image's aspect ratio at the area of the landscape fallback
  1024x576, or 1024x576 itself when no image is given.

Frame rules: LTX's video VAE needs 8k+1 frames. An explicit `num_frames` is rounded to the
NEAREST 8k+1 (ties up) within 9..481; `match_video_length` / `match_audio_length` use the
source's duration, rounded DOWN to 8k+1 (never more frames than the source has). The
IC-LoRA endpoints also apply a resolution-dependent stability budget (`IC_LORA_TOKEN_BUDGET`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

MAX_SHORT_SIDE = 704
MIN_FRAMES = 9
MAX_FRAMES = 481
LATENT_SPATIAL = 32  # video VAE spatial compression
LATENT_TEMPORAL = 8  # video VAE temporal compression
OUTPUT_GRID = 32  # single-stage output alignment
TWO_STAGE_GRID = 64  # multiscale: stage 1 runs at half size, still on the 32-px latent grid
IC_LORA_GRID = 64  # 32 x reference_downscale_factor (2) of the union LoRA

# fal's landscape fallback for audio-to-video 'auto' without an image (fal's landscape_16_9).
AUDIO_TO_VIDEO_FALLBACK = (1024, 576)

# Stability budget of the IC-LoRA endpoints, in target video tokens (latent voxels):
# fal caps "720p-class outputs at 150 frames". A 720p request becomes 1280x704 under the cap
# (40 x 22 = 880 tokens per latent frame) and 150 frames -> 145 (8k+1) -> 19 latent frames,
# so the budget is 880 * 19 = 16,720 tokens; smaller outputs get proportionally more frames
# (896x512: 37 latent frames = 289 frames; 512x512: the 481-frame maximum).
IC_LORA_TOKEN_BUDGET = 880 * 19

PRESET_SIZES: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}


@dataclass(frozen=True)
class Size:
    """Output size and the (possibly larger, grid-aligned) size the sampler generates at."""

    width: int
    height: int
    gen_width: int
    gen_height: int

    @property
    def output(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def generation(self) -> tuple[int, int]:
        return self.gen_width, self.gen_height

    @property
    def needs_crop(self) -> bool:
        return self.generation != self.output


@dataclass(frozen=True)
class FrameCount:
    """The 8k+1 frame count used, and the count asked for (before rounding and caps)."""

    num_frames: int
    requested: int
    capped: bool = False  # True when the IC-LoRA stability budget lowered the count


def requested_size(spec: object) -> tuple[int, int] | None:
    """(width, height) of a `resolution`/`video_size` value, or None for 'auto'.

    Accepts the schema's `ImageSize` (anything with `width`/`height`), a preset enum/string,
    or a {"width", "height"} mapping.
    """
    if isinstance(spec, dict):
        return int(spec["width"]), int(spec["height"])
    width = getattr(spec, "width", None)
    height = getattr(spec, "height", None)
    if width is not None and height is not None:
        return int(width), int(height)
    name = str(getattr(spec, "value", spec))
    if name == "auto":
        return None
    try:
        return PRESET_SIZES[name]
    except KeyError:
        raise ValueError(f"unknown size preset {name!r}; one of auto, {', '.join(PRESET_SIZES)}") from None


def cap_short_side(width: int, height: int, max_short: int = MAX_SHORT_SIDE) -> tuple[float, float]:
    """Scale down (never up) so the shorter side is at most `max_short`, keeping the aspect."""
    if width < 1 or height < 1:
        raise ValueError(f"size must be positive, got {width}x{height}")
    short = min(width, height)
    if short <= max_short:
        return float(width), float(height)
    scale = max_short / short
    return width * scale, height * scale


def align_side(value: float, grid: int) -> int:
    """Nearest multiple of `grid` (halves round up), at least one multiple."""
    return max(grid, math.floor(value / grid + 0.5) * grid)


def align_size(width: float, height: float, grid: int, max_short: int = MAX_SHORT_SIDE) -> tuple[int, int]:
    """Align both sides to `grid`; the short side is floored if rounding would break the cap."""
    w, h = align_side(width, grid), align_side(height, grid)
    if min(w, h) > max_short:
        if w <= h:
            w = max(grid, (max_short // grid) * grid)
        else:
            h = max(grid, (max_short // grid) * grid)
    return w, h


def ceil_side(value: int, grid: int) -> int:
    return max(grid, -(-value // grid) * grid)


def fit_output(
    width: float, height: float, *, grid: int, two_stage: bool, max_short: int = MAX_SHORT_SIDE
) -> Size:
    """Cap + align a wanted size; with `two_stage` the generation size is rounded up to 64."""
    cw, ch = cap_short_side(round(width) or 1, round(height) or 1, max_short)
    w, h = align_size(cw, ch, grid, max_short)
    if two_stage and grid % TWO_STAGE_GRID:
        return Size(w, h, ceil_side(w, TWO_STAGE_GRID), ceil_side(h, TWO_STAGE_GRID))
    return Size(w, h, w, h)


def area_size(aspect_w: int, aspect_h: int, area: int) -> tuple[float, float]:
    """A (width, height) with the aspect of `aspect_w:aspect_h` and about `area` pixels."""
    if aspect_w < 1 or aspect_h < 1:
        raise ValueError(f"aspect must be positive, got {aspect_w}x{aspect_h}")
    ratio = aspect_w / aspect_h
    height = math.sqrt(area / ratio)
    return height * ratio, height


# ------------------------------------------------------------------------------ per endpoint


def reference_video_size(
    spec: object,
    *,
    source: tuple[int, int],
    direct_control: bool,
) -> Size:
    """Size for the reference-video endpoints (single stage at the output size, 64-aligned).

    'auto' + built-in control: the official Union workflow's control size of `source`.
    'auto' + direct control (`skip_control_preprocess` with `control_video_url`): the source
    size, capped and aligned. Explicit sizes: capped and aligned, in both modes.
    """
    wanted = requested_size(spec)
    if wanted is None and not direct_control:
        from ltx_serve.control.resolution import auto_control_size

        w, h = auto_control_size(*source, multiple=IC_LORA_GRID).output
        cw, ch = cap_short_side(w, h)
        w, h = align_size(cw, ch, IC_LORA_GRID)
        return Size(w, h, w, h)
    w, h = wanted if wanted is not None else source
    return fit_output(w, h, grid=IC_LORA_GRID, two_stage=False)


def video_to_video_size(spec: object, *, source: tuple[int, int], two_stage: bool) -> Size:
    """Size for video-to-video: 'auto' follows the input video; output 32-aligned."""
    wanted = requested_size(spec)
    w, h = wanted if wanted is not None else source
    return fit_output(w, h, grid=OUTPUT_GRID, two_stage=two_stage)


def audio_to_video_size(spec: object, *, image: tuple[int, int] | None, two_stage: bool = True) -> Size:
    """Size for audio-to-video: 'auto' = the image's aspect at the fallback's area, else the fallback."""
    wanted = requested_size(spec)
    if wanted is None:
        fw, fh = AUDIO_TO_VIDEO_FALLBACK
        if image is None:
            return fit_output(fw, fh, grid=OUTPUT_GRID, two_stage=two_stage)
        w, h = area_size(image[0], image[1], fw * fh)
        return fit_output(w, h, grid=OUTPUT_GRID, two_stage=two_stage)
    return fit_output(*wanted, grid=OUTPUT_GRID, two_stage=two_stage)


# ------------------------------------------------------------------------------ frames / fps


def floor_8k1(n: int) -> int:
    return max(1, ((n - 1) // LATENT_TEMPORAL) * LATENT_TEMPORAL + 1)


def nearest_8k1(n: int) -> int:
    return max(1, ((n - 1 + LATENT_TEMPORAL // 2) // LATENT_TEMPORAL) * LATENT_TEMPORAL + 1)


def clamp_frames(n: int) -> int:
    return max(MIN_FRAMES, min(MAX_FRAMES, n))


def latent_frames(num_frames: int) -> int:
    return (num_frames - 1) // LATENT_TEMPORAL + 1


def explicit_frames(requested: int) -> FrameCount:
    """An explicit `num_frames`: nearest 8k+1 within 9..481."""
    return FrameCount(clamp_frames(nearest_8k1(int(requested))), int(requested))


def frames_from_duration(duration_s: float, fps: float | Fraction) -> FrameCount:
    """`match_video_length` / `match_audio_length`: whole frames in the source, floored to 8k+1."""
    whole = max(0, math.floor(float(duration_s) * float(fps) + 1e-6))
    return FrameCount(clamp_frames(floor_8k1(max(whole, 1))), whole)


def ic_lora_frame_cap(width: int, height: int, budget: int = IC_LORA_TOKEN_BUDGET) -> int:
    """Largest 8k+1 frame count whose target tokens fit the IC-LoRA stability budget."""
    per_frame = (width // LATENT_SPATIAL) * (height // LATENT_SPATIAL)
    max_latent = max(2, budget // max(per_frame, 1))
    return clamp_frames((max_latent - 1) * LATENT_TEMPORAL + 1)


def cap_ic_lora_frames(frames: FrameCount, width: int, height: int) -> FrameCount:
    """Apply `ic_lora_frame_cap` (the caller logs when `capped` is True)."""
    cap = ic_lora_frame_cap(width, height)
    if frames.num_frames <= cap:
        return frames
    return FrameCount(cap, frames.requested, capped=True)


def output_fps(requested: float, source_fps: float | Fraction | None, match_input: bool) -> Fraction:
    """The output frame rate: the source's when `match_input_fps` (clamped to 1..60), else requested."""
    from ltx_serve.media.timing import as_fraction, clamp_fps

    if match_input and source_fps is not None and float(source_fps) > 0:
        return clamp_fps(as_fraction(source_fps))
    return clamp_fps(as_fraction(requested))


def megapixels(width: int, height: int, num_frames: int) -> float:
    """fal's billing unit: width x height x frames / 1e6."""
    return width * height * num_frames / 1e6
