"""JAN: joint MMD against a loop reference; small for one distribution, grows with a shift."""

from __future__ import annotations

import math

import torch

from da.losses.base import LossInputs
from da.losses.jan import JANLoss, jmmd2


def _k(a, b, ga, gb, bws, bw_g):
    d2 = sum((x - y) ** 2 for x, y in zip(a, b, strict=True))
    e2 = sum((x - y) ** 2 for x, y in zip(ga, gb, strict=True))
    return sum(math.exp(-d2 / w) for w in bws) * math.exp(-e2 / bw_g)


def test_matches_loop_reference():
    g = torch.Generator().manual_seed(0)
    f_s, f_t = torch.randn(4, 2, generator=g), torch.randn(3, 2, generator=g) + 1
    g_s, g_t = torch.rand(4, 3, generator=g).softmax(1), torch.rand(3, 3, generator=g).softmax(1)
    bws, bw_g = [0.5, 1.0, 2.0], 1.68
    S, T = f_s.tolist(), f_t.tolist()
    GS, GT = g_s.tolist(), g_t.tolist()
    ss = sum(_k(S[i], S[j], GS[i], GS[j], bws, bw_g) for i in range(4) for j in range(4) if i != j) / 12
    tt = sum(_k(T[i], T[j], GT[i], GT[j], bws, bw_g) for i in range(3) for j in range(3) if i != j) / 6
    st = sum(_k(S[i], T[j], GS[i], GT[j], bws, bw_g) for i in range(4) for j in range(3)) / 12
    got = jmmd2(f_s, f_t, g_s, g_t, torch.tensor(bws), bw_g)
    assert math.isclose(got.item(), ss + tt - 2 * st, rel_tol=1e-5)


def test_near_zero_for_one_distribution_and_grows_with_shift():
    g = torch.Generator().manual_seed(1)
    loss = JANLoss(3, 2)

    def value(shift):
        f_s, f_t = torch.randn(200, 3, generator=g), torch.randn(200, 3, generator=g) + shift
        z = torch.zeros(200, 2)
        return loss(LossInputs(f_s, f_t, z, z, torch.zeros(200).long(), 1.0)).loss.item()

    same, small, large = value(0.0), value(0.5), value(2.0)
    assert abs(same) < 0.2 * small and same < small < large


def test_gradient_is_finite_and_nonzero():
    g = torch.Generator().manual_seed(2)
    f_s = torch.randn(6, 3, generator=g, requires_grad=True)
    logits_t = torch.randn(6, 2, generator=g, requires_grad=True)
    out = JANLoss(3, 2)(LossInputs(f_s, torch.randn(6, 3, generator=g) + 1,
                                   torch.randn(6, 2, generator=g), logits_t,
                                   torch.zeros(6).long(), 1.0))
    out.loss.backward()
    for t in (f_s, logits_t):
        assert torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0
