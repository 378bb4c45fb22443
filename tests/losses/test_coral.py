"""Deep CORAL against a numpy reference; zero for identical domains; gradients."""

from __future__ import annotations

import numpy as np
import torch

from da.losses.coral import CORALLoss
from tests.losses.helpers import make_inputs


def test_matches_numpy_reference():
    g = torch.Generator().manual_seed(0)
    f_s, f_t = torch.randn(7, 4, generator=g), 2 * torch.randn(5, 4, generator=g) + 1
    ref = np.sum((np.cov(f_s.numpy(), rowvar=False) - np.cov(f_t.numpy(), rowvar=False)) ** 2) / (4 * 16)
    loss = CORALLoss(4, 3)(make_inputs(f_s, f_t)).loss
    assert np.isclose(loss.item(), ref, rtol=1e-5)


def test_zero_for_identical_domains_and_grows_with_scale():
    f = torch.randn(16, 3, generator=torch.Generator().manual_seed(1))
    loss = CORALLoss(3, 2)
    assert loss(make_inputs(f, f)).loss.item() < 1e-10
    assert loss(make_inputs(f, 3 * f)).loss > loss(make_inputs(f, 2 * f)).loss > 0


def test_gradient_reaches_both_domains():
    g = torch.Generator().manual_seed(2)
    inputs = make_inputs(torch.randn(8, 3, generator=g), torch.randn(8, 3, generator=g) * 2,
                         requires_grad=True)
    CORALLoss(3, 2)(inputs).loss.backward()
    for f in (inputs.f_s, inputs.f_t):
        assert torch.isfinite(f.grad).all() and f.grad.abs().sum() > 0
