"""AFN: the stepwise norm objective, and its gradient enlarges feature norms."""

from __future__ import annotations

import torch

from da.losses.afn import AFNLoss
from tests.losses.helpers import make_inputs


def test_value_is_delta_squared_per_domain():
    g = torch.Generator().manual_seed(0)
    loss = AFNLoss(3, 2, delta_r=0.5)(make_inputs(torch.randn(4, 3, generator=g),
                                                  torch.randn(5, 3, generator=g)))
    assert torch.isclose(loss.loss, torch.tensor(2 * 0.25))


def test_a_gradient_step_enlarges_the_norms():
    g = torch.Generator().manual_seed(1)
    inputs = make_inputs(torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g),
                         requires_grad=True)
    AFNLoss(3, 2)(inputs).loss.backward()
    for f in (inputs.f_s, inputs.f_t):
        assert torch.isfinite(f.grad).all()
        stepped = f.detach() - 0.1 * f.grad
        assert (stepped.norm(dim=1) > f.detach().norm(dim=1)).all()
