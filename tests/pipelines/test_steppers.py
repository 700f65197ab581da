"""Steppers against ltx-core's loops (Euler, gradient estimation) and their documented rules."""

from __future__ import annotations

import itertools

import pytest
import torch
from ltx_core.components.diffusion_steps import EulerDiffusionStep
from ltx_core.types import LatentState as CoreState
from ltx_pipelines.utils.samplers import euler_denoising_loop, gradient_estimating_euler_denoising_loop

from ltx_serve.pipelines import schedules
from ltx_serve.pipelines.steppers import (
    Euler,
    EulerAncestral,
    GradientEstimation,
    Restart,
    make_stepper,
    renoise,
)

TARGET = torch.linspace(-1, 1, 24).view(1, 6, 4)


def fake_x0(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A smooth, state-dependent 'model' so that stepper differences show up."""
    return TARGET + 0.3 * torch.tanh(x) * sigma


def _core(loop, sigmas, x, **kw):
    def state(t):
        return CoreState(
            latent=t.clone(),
            denoise_mask=torch.ones(1, t.shape[1], 1),
            positions=None,
            clean_latent=torch.zeros_like(t),
        )

    def denoise(v, a, s, i):
        return fake_x0(v.latent, float(s[i])), fake_x0(a.latent, float(s[i]))

    v, _ = loop(sigmas, state(x), state(x), EulerDiffusionStep(), denoise, **kw)
    return v.latent


def _ours(stepper, sigmas, x, gen=None):
    stepper.reset()
    path = stepper.expand([float(s) for s in sigmas])
    calls = 0
    for s, sn in itertools.pairwise(path):
        if sn > s:
            x = renoise(x, s, sn, gen)
            continue
        calls += 1
        x = stepper.step("video", x, fake_x0(x, s), s, sn, gen)
    return x, calls


@pytest.mark.parametrize("steps", [8, 15, 30])
def test_euler_matches_ltx_core_loop(steps):
    sigmas = schedules.ltx2(steps)
    x = torch.randn(1, 6, 4, generator=torch.Generator().manual_seed(0))
    ours, calls = _ours(Euler(), sigmas, x)
    assert calls == steps
    torch.testing.assert_close(ours, _core(euler_denoising_loop, sigmas, x), atol=1e-6, rtol=0)


@pytest.mark.parametrize("gamma", [1.0, 2.0, 2.5])
def test_gradient_estimation_matches_ltx_core_loop(gamma):
    sigmas = schedules.ltx2(20)
    x = torch.randn(1, 6, 4, generator=torch.Generator().manual_seed(1))
    ours, _ = _ours(GradientEstimation(gamma=gamma), sigmas, x)
    ref = _core(gradient_estimating_euler_denoising_loop, sigmas, x, ge_gamma=gamma)
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=0)
    if gamma != 1.0:  # gamma 1 is plain Euler; other values must change the result
        euler, _ = _ours(Euler(), sigmas, x)
        assert not torch.allclose(ours, euler, atol=1e-4)


def test_euler_ancestral_eta_zero_is_euler_and_eta_one_adds_seeded_noise():
    sigmas = schedules.ltx2(10)
    x = torch.randn(1, 6, 4, generator=torch.Generator().manual_seed(2))
    euler, _ = _ours(Euler(), sigmas, x)
    eta0, _ = _ours(EulerAncestral(eta=0.0), sigmas, x, torch.Generator().manual_seed(5))
    torch.testing.assert_close(eta0, euler, atol=1e-6, rtol=0)
    a, _ = _ours(EulerAncestral(eta=1.0), sigmas, x, torch.Generator().manual_seed(5))
    b, _ = _ours(EulerAncestral(eta=1.0), sigmas, x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and not torch.allclose(a, euler, atol=1e-4)


def test_renoise_has_the_forward_process_marginal():
    x0 = torch.full((1, 200_000, 1), 0.5)
    lo, hi = 0.2, 0.7
    x_lo = (1 - lo) * x0 + lo * torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    x_hi = renoise(x_lo, lo, hi, torch.Generator().manual_seed(1))
    assert x_hi.mean().item() == pytest.approx((1 - hi) * 0.5, abs=5e-3)
    assert x_hi.std().item() == pytest.approx(hi, abs=5e-3)


def test_restart_inserts_one_jump_back_and_extra_model_calls():
    r = Restart(t_min=0.4, t_max=0.7, restarts=1, restart_steps=3)
    sigmas = [1.0, 0.8, 0.6, 0.35, 0.1, 0.0]
    path = r.expand(sigmas)
    assert path == pytest.approx([1.0, 0.8, 0.6, 0.35, 0.7, 0.5833333, 0.4666667, 0.35, 0.1, 0.0], abs=1e-6)
    x = torch.randn(1, 6, 4, generator=torch.Generator().manual_seed(3))
    _, calls = _ours(r, torch.tensor(sigmas), x, torch.Generator().manual_seed(0))
    assert calls == len(sigmas) - 1 + 3
    # A schedule that never gets below t_min is left alone.
    assert r.expand([1.0, 0.9, 0.0]) == [1.0, 0.9, 0.0]


def test_make_stepper_rejects_unknown_names():
    assert isinstance(make_stepper("gradient_estimation", gamma=2.0), GradientEstimation)
    with pytest.raises(ValueError, match="unknown stepper"):
        make_stepper("dpm++")
