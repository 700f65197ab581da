"""Our schedules equal ltx-core 1.0.0's schedulers bit for bit, for every step count we allow."""

from __future__ import annotations

import pytest
import torch
from ltx_core.components.schedulers import BetaScheduler, LinearQuadraticScheduler, LTX2Scheduler

from ltx_serve.pipelines import schedules

STEPS = range(2, 51)


@pytest.mark.parametrize("tokens", [None, 256, 1024, 3072, 9000])
def test_ltx2_matches_ltx_core(tokens):
    for n in STEPS:
        latent = None if tokens is None else torch.zeros(1, 1, tokens)
        expected = LTX2Scheduler().execute(n, latent=latent)
        assert torch.equal(schedules.ltx2(n, tokens), expected), n


def test_ltx2_ends_at_terminal_then_zero():
    s = schedules.ltx2(30)
    assert s[0].item() == pytest.approx(1.0, abs=1e-6) and s[-1] == 0.0
    assert s[-2].item() == pytest.approx(0.1, abs=1e-6)
    assert bool((s[1:] < s[:-1]).all())


def test_linear_quadratic_matches_ltx_core():
    for n in STEPS:
        assert torch.equal(schedules.linear_quadratic(n), LinearQuadraticScheduler().execute(n)), n


def test_beta_matches_ltx_core():
    for n in STEPS:
        ours, ref = schedules.beta(n), BetaScheduler().execute(n)
        assert ours.shape == ref.shape and torch.equal(ours, ref), n


def test_distilled_lists_match_ltx_pipelines():
    from ltx_pipelines.utils.constants import DISTILLED_SIGMA_VALUES, STAGE_2_DISTILLED_SIGMA_VALUES

    assert schedules.distilled().tolist() == pytest.approx(DISTILLED_SIGMA_VALUES)
    assert schedules.stage2_distilled().tolist() == pytest.approx(STAGE_2_DISTILLED_SIGMA_VALUES)
    assert len(schedules.distilled()) == 9 and len(schedules.stage2_distilled()) == 4


@pytest.mark.parametrize("name", ["ltx2", "linear_quadratic", "beta"])
def test_every_allowed_step_count_is_decreasing_from_one_to_zero(name):
    for n in range(8, 51):
        s = schedules.make_sigmas(name, n)
        assert s[0].item() == pytest.approx(1.0, abs=1e-6) and s[-1] == 0.0
        assert bool((s[1:] < s[:-1]).all()), (name, n)
        if name != "beta":
            assert len(s) == n + 1


def test_unknown_schedule_and_wrong_distilled_length_fail_fast():
    with pytest.raises(ValueError, match="unknown schedule"):
        schedules.make_sigmas("karras", 10)
    with pytest.raises(ValueError, match="8 steps"):
        schedules.distilled(10)
