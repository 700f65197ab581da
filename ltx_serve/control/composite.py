"""Composite control: depth, Canny and pose in one RGB frame.

No official workflow builds one (the Union LoRA is fed one signal per run); this is our
rule, chosen so each signal stays recognisable as what the LoRA was trained on:

1. base = the depth map at HALF brightness (grey 0..127), so it can never be mistaken
   for an edge and leaves headroom;
2. Canny edges are painted on top in pure white (255);
3. the pose drawing is painted last wherever it is not black (its colours win), because
   pose is the sparsest and most specific signal.
"""

from __future__ import annotations

import numpy as np

DEPTH_WEIGHT = 0.5


def composite(depth: np.ndarray, edges: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """Combine [F, H, W, 3] uint8 depth, edge and pose frames (same shapes)."""
    if not depth.shape == edges.shape == pose.shape:
        raise ValueError(f"control maps differ in shape: {depth.shape}, {edges.shape}, {pose.shape}")
    out = (depth.astype(np.float32) * DEPTH_WEIGHT).astype(np.uint8)
    edge_mask = edges.max(axis=-1) > 0
    out[edge_mask] = 255
    pose_mask = pose.max(axis=-1) > 0
    out[pose_mask] = pose[pose_mask]
    return out
