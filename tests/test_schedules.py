"""Schedules as functions of the step: over the planned run, or over a horizon in iterations."""

from __future__ import annotations

import math

import pytest
import torch

from da.module import DAModule, InverseDecay
from da.schedules import DannWarmStart, progress


def test_progress_over_the_plan_is_capped_and_over_a_horizon_is_not():
    assert progress(50, 100) == 0.5 and progress(150, 100) == 1.0
    assert progress(50, 100, horizon_steps=1000) == 0.05
    assert progress(5000, 100, horizon_steps=1000) == 5.0  # a longer run continues the schedule


def test_horizon_makes_a_short_run_follow_the_first_part_of_the_long_one():
    """TLlib's lr and GRL are functions of the absolute iteration: with a horizon, a 3,000-step
    run sees exactly the first 3,000 values of a 50,000-step run; over the plan, it does not."""
    short, long_ = InverseDecay(3000, 10, 0.75, 10_000), InverseDecay(50_000, 10, 0.75, 10_000)
    assert all(short(i) == long_(i) for i in range(0, 3000, 7))
    assert short(2999) == pytest.approx((1 + 0.001 * 2999) ** -0.75)
    planned = InverseDecay(3000, 10, 0.75)
    assert planned(2999) == pytest.approx((1 + 10 * 2999 / 3000) ** -0.75)
    assert planned(1500) != long_(1500)
    grl = DannWarmStart(10.0, 1.0)
    for i in (0, 10, 1000, 2999):
        assert grl(progress(i, 3000, 10_000)) == pytest.approx(2 / (1 + math.exp(-i / 1000)) - 1)


@pytest.mark.parametrize("bad", [0, -5])
def test_bad_horizon_is_a_one_line_error(bad):
    from da.errors import DAError
    from da.nets.heads import DANetwork

    net = DANetwork(torch.nn.Linear(4, 4), 2, None)  # a Linear has out_features
    with pytest.raises(DAError, match="horizon_steps must be a positive number"):
        DAModule(net, {}, torch.optim.SGD, horizon_steps=bad)
