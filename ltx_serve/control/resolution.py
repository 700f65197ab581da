"""The "auto" control-video size of the official LTX-2.3 Union IC-LoRA workflow.

Chain (``LTX-2.3_ICLoRA_Union_Control_Distilled.json``): the reference is resized so its
short side is 544 (lanczos), the annotator works at a short side of 512 (controlnet_aux
``detect_resolution``, long side rounded), and the control map is fitted to the LoRA grid
with ComfyUI's "scale to multiple" (cover): each side FLOORED to a multiple of 64 (32 x
the LoRA's ``reference_downscale_factor`` 2), then scale-to-cover and centre-crop.

A 16:9 source therefore gives 910x512 at the annotator and 896x512 as the control (and
output) size. All our preprocessors return maps at the annotator size, so every control
type (and the composite) yields the same size; the official Video-Depth-Anything path
would give 960x512 for depth, which we do not reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass

from ltx_serve.media.resize import short_side_size

REFERENCE_SHORT_SIDE = 544
ANNOTATOR_SHORT_SIDE = 512
GRID_MULTIPLE = 64


@dataclass(frozen=True)
class ControlSize:
    """Sizes (width, height) along the control chain for one source size."""

    reference: tuple[int, int]  # source resized to short side 544
    annotator: tuple[int, int]  # where canny/depth/pose run (short side 512)
    output: tuple[int, int]  # control video / generation size (multiples of 64)


def floor_multiple(value: int, multiple: int = GRID_MULTIPLE) -> int:
    """Floor to a multiple, never below one multiple."""
    return max(multiple, (value // multiple) * multiple)


def auto_control_size(
    width: int,
    height: int,
    *,
    reference_short: int = REFERENCE_SHORT_SIDE,
    annotator_short: int = ANNOTATOR_SHORT_SIDE,
    multiple: int = GRID_MULTIPLE,
) -> ControlSize:
    """Control sizes for a ``width`` x ``height`` source (the fal ``resolution='auto'`` case)."""
    if width < 1 or height < 1:
        raise ValueError(f"source size must be positive, got {width}x{height}")
    reference = short_side_size(width, height, reference_short)
    annotator = short_side_size(width, height, annotator_short)
    output = (floor_multiple(annotator[0], multiple), floor_multiple(annotator[1], multiple))
    return ControlSize(reference=reference, annotator=annotator, output=output)


def align_to_grid(width: int, height: int, multiple: int = GRID_MULTIPLE) -> tuple[int, int]:
    """An explicit ``resolution`` snapped down to the LoRA grid (fal: "honored with 64px alignment")."""
    if width < 1 or height < 1:
        raise ValueError(f"size must be positive, got {width}x{height}")
    return floor_multiple(width, multiple), floor_multiple(height, multiple)
