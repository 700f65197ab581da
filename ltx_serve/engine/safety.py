"""`enable_safety_checker`: an NSFW image classifier run on frames of the generated video.

Model: `Falconsai/nsfw_image_detection` (Apache-2.0), a ViT-Base/16 image classifier with
the labels `normal` / `nsfw`, loaded with transformers (`AutoModelForImageClassification` +
`AutoImageProcessor`) from `<weights>/nsfw_image_detection/` (a Hugging Face folder:
config.json, model.safetensors, preprocessor_config.json). Any folder with an `nsfw` label
works. Nothing is downloaded at run time.

Check: `SAMPLE_FRAMES` frames evenly spaced over the clip (first and last included) are
classified in one batch; the video is flagged when any frame's `nsfw` probability is at
least `THRESHOLD`. A flagged video is deleted and the request fails with fal's
content-policy error: HTTP 422, `{"loc": ["body", "prompt"], "type":
"content_policy_violation"}` (the prompt is what the caller changes; fal's documented
error type for flagged content).

When the folder is absent, the server logs so at start-up and `Settings.safety_missing` decides:
`skip` (default: requests run unchecked and each job's log says so; the fal default of
`enable_safety_checker=true` must not make a fresh install refuse everything) or `refuse`
(requests with `enable_safety_checker=true` get a 422 on that field until it is installed).
Set it with `LTX_SERVE_SAFETY_MISSING=skip|refuse`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ltx_serve.errors import FieldError, ValidationFailed

logger = logging.getLogger(__name__)

FOLDER_NAME = "nsfw_image_detection"
MODEL_ID = "Falconsai/nsfw_image_detection"
SAMPLE_FRAMES = 8
THRESHOLD = 0.5
MissingPolicy = Literal["skip", "refuse"]


class SafetyUnavailable(FieldError):
    """The classifier is not installed and the operator chose `refuse`.

    A 422 naming `enable_safety_checker`: the caller can opt out, and a 503 would only make
    fal's JS client retry a request that cannot succeed.
    """

    def __init__(self, message: str) -> None:
        super().__init__("enable_safety_checker", message)


class ContentFlagged(ValidationFailed):
    """fal's content-policy 422."""

    def __init__(self, score: float) -> None:
        super().__init__(
            [
                {
                    "loc": ["body", "prompt"],
                    "msg": (
                        "The generated video was flagged by the safety checker (NSFW score "
                        f"{score:.2f}); change the prompt or inputs, or set enable_safety_checker=false."
                    ),
                    "type": "content_policy_violation",
                }
            ]
        )
        self.score = score


def sample_indices(num_frames: int, count: int = SAMPLE_FRAMES) -> list[int]:
    """`count` frame indices evenly spaced over [0, num_frames - 1], first and last included."""
    if num_frames <= 0:
        return []
    if num_frames <= count:
        return list(range(num_frames))
    return sorted({round(i * (num_frames - 1) / (count - 1)) for i in range(count)})


@dataclass
class SafetyChecker:
    """A loaded classifier (or None) plus the policy for when it is absent."""

    model: Any | None
    processor: Any | None
    policy: MissingPolicy = "skip"
    nsfw_index: int = 1
    folder: Path | None = None

    @property
    def available(self) -> bool:
        return self.model is not None

    @classmethod
    def load(cls, weights_dir: Path | None, policy: MissingPolicy, device: str = "cpu") -> SafetyChecker:
        folder = Path(weights_dir) / FOLDER_NAME if weights_dir is not None else None
        if folder is None or not (folder / "config.json").is_file():
            logger.warning(
                "safety checker: no NSFW classifier at %s (put %s there); requests with "
                "enable_safety_checker=true will %s",
                folder,
                MODEL_ID,
                "run unchecked (LTX_SERVE_SAFETY_MISSING=skip)" if policy == "skip" else "be refused (422)",
            )
            return cls(None, None, policy, folder=folder)
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        model = AutoModelForImageClassification.from_pretrained(folder, local_files_only=True)
        model = model.to(device).eval().requires_grad_(False)
        processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        labels = {str(v).lower(): int(k) for k, v in model.config.id2label.items()}
        if "nsfw" not in labels:
            raise ValueError(f"{folder}: the classifier has no 'nsfw' label (labels: {sorted(labels)})")
        logger.info("safety checker: %s loaded from %s", MODEL_ID, folder)
        return cls(model, processor, policy, labels["nsfw"], folder)

    def describe(self) -> str:
        if self.available:
            return f"{MODEL_ID} ({self.folder})"
        return f"absent ({self.policy})"

    def before_run(self, enabled: bool, log: Any) -> bool:
        """Whether to check this job's output; raises when absent and the policy is `refuse`."""
        if not enabled:
            return False
        if self.available:
            return True
        if self.policy == "refuse":
            raise SafetyUnavailable(
                "The safety checker is enabled but its model is not installed on this server "
                f"(expected {self.folder}); set enable_safety_checker=false or ask the operator "
                f"to install {MODEL_ID}."
            )
        log("safety checker requested but not installed on this server: output not checked", "WARN")
        return False

    def score(self, frames: list[np.ndarray]) -> float:
        """Highest `nsfw` probability over the given uint8 [H, W, 3] frames."""
        import torch

        if not frames or self.model is None:
            return 0.0
        inputs = self.processor(images=list(frames), return_tensors="pt")
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            logits = self.model(pixel_values=inputs["pixel_values"].to(device)).logits
        probs = logits.float().softmax(dim=-1)[:, self.nsfw_index]
        return float(probs.max())

    def check(self, frames: list[np.ndarray]) -> float:
        """Raise `ContentFlagged` when any frame scores >= THRESHOLD; returns the score."""
        value = self.score(frames)
        if value >= THRESHOLD:
            raise ContentFlagged(value)
        return value
