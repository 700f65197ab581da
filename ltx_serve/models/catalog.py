"""The LTX-2.3 files users download, where they come from and what role they play.

One table, read by the loader (to find files in a weights folder), by
`ltx-serve weights download` (to fetch them) and by `ltx-serve doctor` (to check them).
Sizes are the published byte counts where known (None where not), used to spot
truncated downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CHECKPOINT = "checkpoint"  # single-file transformer + VAEs + vocoder + text projection
    UPSCALER = "spatial_upscaler"
    DISTILLED_LORA = "distilled_lora"
    IC_LORA_UNION = "ic_lora_union"
    CAMERA_LORA = "camera_lora"
    TEXT_ENCODER = "text_encoder"  # a Hugging Face folder (Gemma 3 12B)
    DEPTH = "depth"  # control preprocessor weights
    POSE = "pose"
    SAFETY = "safety"


@dataclass(frozen=True)
class WeightFile:
    """One downloadable artefact. `filename` is the name inside the weights folder."""

    key: str
    role: Role
    repo_id: str
    filename: str
    size_bytes: int | None = None
    # Filenames accepted as the same artefact (older releases), newest first after `filename`.
    aliases: tuple[str, ...] = ()
    is_folder: bool = False
    # Variant groups for `weights download` (dev, distilled, fp8, control, camera, preprocessors).
    groups: tuple[str, ...] = ()
    description: str = ""
    # Folders only: glob patterns fetched by `snapshot_download` (empty: the whole repo).
    allow_patterns: tuple[str, ...] = ()
    # The repo asks users to accept a licence on huggingface.co and to authenticate (HF_TOKEN).
    gated: bool = False

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.filename, *self.aliases)


LTX_REPO = "Lightricks/LTX-2.3"
UNION_REPO = "Lightricks/LTX-2.3-22b-IC-LoRA-Union-Control"
FP8_REPO = "Lightricks/LTX-2.3-fp8"
GEMMA_REPO = "google/gemma-3-12b-it-qat-q4_0-unquantized"

CAMERA_MOTIONS = ("dolly_in", "dolly_out", "dolly_left", "dolly_right", "jib_up", "jib_down", "static")


def _camera(motion: str) -> WeightFile:
    slug = motion.replace("_", "-")
    return WeightFile(
        key=f"camera_{motion}",
        role=Role.CAMERA_LORA,
        repo_id=f"Lightricks/LTX-2-19b-LoRA-Camera-Control-{slug.title()}",
        filename=f"ltx-2-19b-lora-camera-control-{slug}.safetensors",
        groups=("camera",),
        description=f"Camera LoRA '{motion}' (only LTX-2 19B versions are published).",
    )


FILES: tuple[WeightFile, ...] = (
    WeightFile(
        key="dev",
        role=Role.CHECKPOINT,
        repo_id=LTX_REPO,
        filename="ltx-2.3-22b-dev.safetensors",
        size_bytes=46_149_344_974,
        groups=("dev",),
        description="Full LTX-2.3 22B model, bf16 single file.",
    ),
    WeightFile(
        key="distilled",
        role=Role.CHECKPOINT,
        repo_id=LTX_REPO,
        filename="ltx-2.3-22b-distilled-1.1.safetensors",
        size_bytes=46_149_345_334,
        aliases=("ltx-2.3-22b-distilled.safetensors",),
        groups=("distilled",),
        description="8-step distilled LTX-2.3 22B, CFG 1.",
    ),
    WeightFile(
        key="dev_fp8",
        role=Role.CHECKPOINT,
        repo_id=FP8_REPO,
        filename="ltx-2.3-22b-dev-fp8.safetensors",
        groups=("fp8",),
        description="Official FP8 dev checkpoint (Hopper and newer).",
    ),
    WeightFile(
        key="spatial_upscaler",
        role=Role.UPSCALER,
        repo_id=LTX_REPO,
        filename="ltx-2.3-spatial-upscaler-x2-1.1.safetensors",
        aliases=("ltx-2.3-spatial-upscaler-x2-1.0.safetensors",),
        groups=("dev", "distilled", "fp8"),
        description="x2 latent spatial upsampler for two-stage (multiscale) sampling.",
    ),
    WeightFile(
        key="distilled_lora",
        role=Role.DISTILLED_LORA,
        repo_id=LTX_REPO,
        filename="ltx-2.3-22b-distilled-lora-384-1.1.safetensors",
        size_bytes=7_605_507_256,
        aliases=("ltx-2.3-22b-distilled-lora-384.safetensors",),
        groups=("dev", "fp8"),
        description="Rank-384 distillation LoRA for the dev model (stage 2, and the union workflow).",
    ),
    WeightFile(
        key="ic_lora_union",
        role=Role.IC_LORA_UNION,
        repo_id=UNION_REPO,
        filename="ltx-2.3-22b-ic-lora-union-control-ref0.5.safetensors",
        size_bytes=654_465_352,
        groups=("control",),
        description="IC-LoRA Union control (canny/depth/pose), reference_downscale_factor 2.",
    ),
    *(_camera(m) for m in CAMERA_MOTIONS),
    WeightFile(
        key="gemma",
        role=Role.TEXT_ENCODER,
        repo_id=GEMMA_REPO,
        filename="gemma-3-12b-it-qat-q4_0-unquantized",
        is_folder=True,
        groups=("dev", "distilled", "fp8"),
        description="Gemma 3 12B text encoder, a Hugging Face folder (gated repo: accept the licence).",
        allow_patterns=("*.json", "*.safetensors", "tokenizer.model", "*.jinja"),
        gated=True,
    ),
    WeightFile(
        key="depth",
        role=Role.DEPTH,
        repo_id="depth-anything/Depth-Anything-V2-Small-hf",
        filename="Depth-Anything-V2-Small-hf",
        is_folder=True,
        groups=("preprocessors",),
        description="Depth Anything V2 Small (Apache-2.0) for the depth control signal.",
        allow_patterns=("*.json", "*.safetensors"),
    ),
    WeightFile(
        key="pose_detector",
        role=Role.POSE,
        repo_id="yzd-v/DWPose",
        filename="yolox_l.onnx",
        size_bytes=216_746_733,
        groups=("preprocessors",),
        description="DWPose person detector (YOLOX-L, ONNX).",
    ),
    WeightFile(
        key="pose_estimator",
        role=Role.POSE,
        repo_id="yzd-v/DWPose",
        filename="dw-ll_ucoco_384.onnx",
        size_bytes=134_399_116,
        groups=("preprocessors",),
        description="DWPose whole-body keypoints (RTMPose, 133 points, ONNX).",
    ),
)

BY_KEY: dict[str, WeightFile] = {f.key: f for f in FILES}


def files_in_groups(groups: set[str]) -> list[WeightFile]:
    return [f for f in FILES if groups.intersection(f.groups)]
