"""Steppers: how a latent moves from sigma to the next one given the model's clean estimate x0.

All of them work on rectified-flow latents x_s = (1 - s) * x0 + s * eps with velocity
v = (x - x0) / s. A stepper may keep per-modality state (gradient estimation), so the sampler
calls `reset()` at the start of every stage and passes a `key` ("video"/"audio") per call.

`expand(sigmas)` lets a stepper change the *path* through noise levels: Euler and friends use
the schedule as is; restart sampling inserts upward jumps. The sampler runs the model only on
descending pairs and calls `renoise` for ascending ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import torch


class Stepper(Protocol):
    name: str

    def reset(self) -> None: ...

    def expand(self, sigmas: list[float]) -> list[float]: ...

    def step(
        self,
        key: str,
        x: torch.Tensor,
        x0: torch.Tensor,
        sigma: float,
        sigma_next: float,
        generator: torch.Generator | None,
    ) -> torch.Tensor: ...


def _f32(v: float) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float32)


def euler_step(x: torch.Tensor, x0: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
    """x + v * (sigma_next - sigma), in float32 like ltx-core's `EulerDiffusionStep`."""
    s, sn = _f32(sigma), _f32(sigma_next)
    velocity = (x.float() - x0.float()) / s
    return (x.float() + velocity * (sn - s)).to(x.dtype)


def renoise(
    x: torch.Tensor, sigma_low: float, sigma_high: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Move x from noise level `sigma_low` up to `sigma_high` with fresh Gaussian noise.

    x_hi = a * x_lo + b * n with a = (1 - s_hi) / (1 - s_lo) and b = sqrt(s_hi^2 - a^2 s_lo^2):
    exactly the marginal of the rectified-flow forward process at s_hi given x_lo.
    """
    a = (1.0 - sigma_high) / (1.0 - sigma_low)
    b = math.sqrt(max(sigma_high**2 - (a * sigma_low) ** 2, 0.0))
    noise = torch.randn(x.shape, generator=generator, dtype=torch.float32, device="cpu").to(x.device)
    return (a * x.float() + b * noise).to(x.dtype)


@dataclass
class Euler:
    """First-order Euler on the velocity (ltx-core `EulerDiffusionStep`).

    Also the base of the other steppers: stateless, the schedule used as is; each subclass
    overrides only what it changes (the step, the path, or per-stage state).
    """

    name: ClassVar[str] = "euler"

    def reset(self) -> None:
        return None

    def expand(self, sigmas: list[float]) -> list[float]:
        return list(sigmas)

    def step(
        self,
        key: str,
        x: torch.Tensor,
        x0: torch.Tensor,
        sigma: float,
        sigma_next: float,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        return euler_step(x, x0, sigma, sigma_next)


@dataclass
class EulerAncestral(Euler):
    """Euler-ancestral for rectified flow.

    With eta in [0, 1]: step deterministically down to
    sigma_down = sigma_next * (1 + (sigma_next / sigma - 1) * eta), then re-noise from sigma_down
    up to sigma_next (see `renoise`). eta = 0 is plain Euler; eta = 1 (default) removes the
    most noise before re-adding it. The last step (sigma_next = 0) returns x0.
    """

    eta: float = 1.0
    name: ClassVar[str] = "euler_ancestral"

    def step(
        self,
        key: str,
        x: torch.Tensor,
        x0: torch.Tensor,
        sigma: float,
        sigma_next: float,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        if sigma_next == 0.0:
            return x0.to(x.dtype)
        sigma_down = sigma_next * (1.0 + (sigma_next / sigma - 1.0) * self.eta)
        x_down = euler_step(x, x0, sigma, sigma_down)
        if sigma_down >= sigma_next:
            return x_down
        return renoise(x_down, sigma_down, sigma_next, generator)


@dataclass
class GradientEstimation(Euler):
    """ltx-core's gradient-estimating Euler (arXiv/openreview o2ND9v0CeK).

    The velocity used for the step is v_prev + gamma * (v - v_prev); the raw v is remembered
    for the next step. The final step (sigma_next = 0) returns x0 directly, as upstream.
    """

    gamma: float = 2.0
    name: ClassVar[str] = "gradient_estimation"
    _prev: dict[str, torch.Tensor] = field(default_factory=dict)

    def reset(self) -> None:
        self._prev.clear()

    def step(
        self,
        key: str,
        x: torch.Tensor,
        x0: torch.Tensor,
        sigma: float,
        sigma_next: float,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        if sigma_next == 0.0:
            return x0.to(x.dtype)
        s = _f32(sigma)
        velocity = (x.float() - x0.float()) / s
        prev = self._prev.get(key)
        self._prev[key] = velocity
        if prev is not None:
            x0 = x.float() - (self.gamma * (velocity - prev) + prev) * s
        return euler_step(x, x0, sigma, sigma_next)


@dataclass
class Restart(Euler):
    """Restart sampling (Xu et al. 2023, "Restart Sampling for Improving Generative Processes").

    Rule: follow the schedule with Euler; the first time the path reaches a sigma <= `t_min`
    (call it s_min), jump back up to `t_max` with fresh noise (`renoise`), re-descend to s_min
    in `restart_steps` Euler steps spaced linearly in sigma, and repeat that `restarts` times;
    then continue the schedule. Defaults (t_min 0.4, t_max 0.7, 1 restart of 3 steps) add three
    model calls per stage. Schedules that never reach t_min, or where s_min >= t_max, are unchanged.
    """

    t_min: float = 0.4
    t_max: float = 0.7
    restarts: int = 1
    restart_steps: int = 3
    name: ClassVar[str] = "restart"

    def expand(self, sigmas: list[float]) -> list[float]:
        out: list[float] = []
        done = False
        for s in sigmas:
            out.append(s)
            if not done and 0.0 < s <= self.t_min and s < self.t_max:
                done = True
                for _ in range(self.restarts):
                    for i in range(self.restart_steps + 1):
                        out.append(self.t_max + (s - self.t_max) * i / self.restart_steps)
        return out


def make_stepper(name: str, **kwargs: float) -> Stepper:
    """Build a fresh stepper by name (`euler`, `euler_ancestral`, `restart`, `gradient_estimation`)."""
    table: dict[str, type] = {
        "euler": Euler,
        "euler_ancestral": EulerAncestral,
        "restart": Restart,
        "gradient_estimation": GradientEstimation,
    }
    try:
        cls = table[name]
    except KeyError:
        raise ValueError(f"unknown stepper {name!r}; choose from {sorted(table)}") from None
    return cls(**kwargs)
