"""BSP: the top singular values by a reference SVD; the penalty shrinks the top direction."""

from __future__ import annotations

import torch

from da.losses.bsp import BSPLoss
from tests.losses.helpers import make_inputs


def test_matches_svd_reference():
    g = torch.Generator().manual_seed(0)
    f_s, f_t = torch.randn(6, 4, generator=g), torch.randn(5, 4, generator=g)
    s_s, s_t = torch.linalg.svd(f_s)[1], torch.linalg.svd(f_t)[1]
    for k in (1, 2):
        got = BSPLoss(4, 3, k=k)(make_inputs(f_s, f_t)).loss
        assert torch.isclose(got, (s_s[:k] ** 2).sum() + (s_t[:k] ** 2).sum(), rtol=1e-5)


def test_gradient_shrinks_the_dominant_direction():
    f = torch.diag(torch.tensor([3.0, 1.0]))
    inputs = make_inputs(f, f.clone(), requires_grad=True)
    BSPLoss(2, 2)(inputs).loss.backward()
    g = inputs.f_s.grad
    assert torch.isfinite(g).all()
    assert g[0, 0] > 0 and g[1, 1].abs() < 1e-6  # only sigma_1 (the 3.0 entry) is pushed down
