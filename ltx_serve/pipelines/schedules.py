"""Sigma schedules (noise levels from 1 to 0) for every LTX-2.3 mode.

Each function returns `steps + 1` float32 sigmas ending in 0 (`beta` may return fewer when
its quantised timesteps collide, as upstream). They reproduce ltx-core 1.0.0's
`LTX2Scheduler`, `LinearQuadraticScheduler` and `BetaScheduler` and the distilled lists from
`ltx_pipelines.utils.constants`; tests compare against ltx-core for every allowed step count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import torch

DISTILLED_SIGMAS: tuple[float, ...] = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0)
STAGE2_DISTILLED_SIGMAS: tuple[float, ...] = (0.909375, 0.725, 0.421875, 0.0)

_BASE_TOKENS = 1024
_MAX_TOKENS = 4096


def ltx2(
    steps: int,
    tokens: int | None = None,
    *,
    base_shift: float = 0.95,
    max_shift: float = 2.05,
    stretch: bool = True,
    terminal: float = 0.1,
) -> torch.Tensor:
    """Flux-style time shift interpolated by token count, stretched so the last sigma is `terminal`.

    `tokens=None` means 4096, which is what the official two-stage pipelines use (so the
    schedule does not depend on resolution); pass the latent token count to shift by size.
    """
    n_tokens = _MAX_TOKENS if tokens is None else tokens
    slope = (max_shift - base_shift) / (_MAX_TOKENS - _BASE_TOKENS)
    mu = n_tokens * slope + (base_shift - slope * _BASE_TOKENS)
    t = torch.linspace(1.0, 0.0, steps + 1)
    shifted = torch.where(t != 0, math.exp(mu) / (math.exp(mu) + (1 / t - 1)), torch.zeros_like(t))
    if stretch:
        nz = shifted != 0
        one_minus = 1.0 - shifted[nz]
        factor = one_minus[-1] / (1.0 - terminal)
        shifted[nz] = 1.0 - one_minus / factor
    return shifted.to(torch.float32)


def linear_quadratic(
    steps: int, *, threshold_noise: float = 0.025, linear_steps: int | None = None
) -> torch.Tensor:
    """Linear descent to `threshold_noise` over the first half, then a quadratic tail (Mochi-style)."""
    if steps == 1:
        return torch.tensor([1.0, 0.0], dtype=torch.float32)
    n_lin = steps // 2 if linear_steps is None else linear_steps
    ts = [i * threshold_noise / n_lin for i in range(n_lin)]
    n_quad = steps - n_lin
    if n_quad > 0:
        gap = n_lin - threshold_noise * steps
        a = gap / (n_lin * n_quad**2)
        b = threshold_noise / n_lin - 2 * gap / (n_quad**2)
        c = a * n_lin**2
        ts += [a * i**2 + b * i + c for i in range(n_lin, steps)]
    ts.append(1.0)
    return torch.tensor([1.0 - x for x in ts], dtype=torch.float32)


@lru_cache(maxsize=4)
def _shifted_grid(shift: float, length: int) -> tuple[float, ...]:
    """sigma(t) = e^shift / (e^shift + 1/t - 1) on t = 1/length .. 1 (float32 as upstream)."""
    t = torch.arange(1, length + 1, 1) / length
    e = math.exp(shift)
    return tuple((e / (e + (1 / t - 1))).tolist())


def beta(steps: int, *, alpha: float = 0.6, beta_: float = 0.6, shift: float = 2.37) -> torch.Tensor:
    """Beta-distributed timesteps (arXiv 2407.12173) over a shift-2.37 sigma table; deduplicated."""
    import numpy as np
    from scipy.stats import beta as beta_dist

    grid = _shifted_grid(shift, 10000)
    total = len(grid) - 1
    quantiles = 1 - np.linspace(0, 1, steps, endpoint=False)
    idx = np.rint(beta_dist.ppf(quantiles, alpha, beta_) * total).tolist()
    idx = list(dict.fromkeys(idx))
    return torch.tensor([grid[int(i)] for i in idx] + [0.0], dtype=torch.float32)


def distilled(steps: int = 8) -> torch.Tensor:
    """The distilled model's fixed 8-step list (the only step count it was trained for)."""
    if steps != len(DISTILLED_SIGMAS) - 1:
        raise ValueError(f"the distilled schedule has exactly {len(DISTILLED_SIGMAS) - 1} steps, got {steps}")
    return torch.tensor(DISTILLED_SIGMAS, dtype=torch.float32)


def stage2_distilled(steps: int = 3) -> torch.Tensor:
    """The 3-step refinement list used after the x2 latent upsampler (starts at 0.909375)."""
    if steps != len(STAGE2_DISTILLED_SIGMAS) - 1:
        raise ValueError(
            f"the stage-2 schedule has exactly {len(STAGE2_DISTILLED_SIGMAS) - 1} steps, got {steps}"
        )
    return torch.tensor(STAGE2_DISTILLED_SIGMAS, dtype=torch.float32)


SCHEDULES: dict[str, Callable[..., torch.Tensor]] = {
    "ltx2": ltx2,
    "linear_quadratic": linear_quadratic,
    "beta": beta,
    "distilled": distilled,
    "stage2_distilled": stage2_distilled,
}


def make_sigmas(name: str, steps: int, tokens: int | None = None) -> torch.Tensor:
    """Look up a schedule by name; `tokens` only matters for `ltx2`."""
    try:
        fn = SCHEDULES[name]
    except KeyError:
        raise ValueError(f"unknown schedule {name!r}; choose from {sorted(SCHEDULES)}") from None
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    return fn(steps, tokens) if name == "ltx2" else fn(steps)
