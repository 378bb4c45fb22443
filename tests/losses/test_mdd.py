"""MDD: the objective against a hand-written reference; the adversarial head minimises it
while the features receive the reversed gradient."""

from __future__ import annotations

import math

import torch

from da.losses.base import LossInputs
from da.losses.mdd import MDDLoss, mdd_objective


def test_objective_matches_hand_computation():
    adv_s = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    adv_t = torch.tensor([[1.0, 1.0], [3.0, 0.0]])
    y_s, y_t = torch.tensor([0, 0]), torch.tensor([1, 0])

    def sm(row, k):
        e = [math.exp(v) for v in row]
        return e[k] / sum(e)

    ce = -(math.log(sm([2, 0], 0)) + math.log(sm([0, 1], 0))) / 2
    tgt = -(math.log(1 - sm([1, 1], 1)) + math.log(1 - sm([3, 0], 0))) / 2
    got = mdd_objective(adv_s, adv_t, y_s, y_t, margin=4.0)
    assert math.isclose(got.item(), 4 * ce + tgt, rel_tol=1e-6)


def test_features_get_the_reversed_gradient_of_the_head():
    torch.manual_seed(0)
    loss = MDDLoss(4, 3, hidden=8, dropout=0.0)
    f_s = torch.randn(5, 4, requires_grad=True)
    f_t = torch.randn(5, 4)
    logits_s, logits_t = torch.randn(5, 3), torch.randn(5, 3)
    out = loss(LossInputs(f_s, f_t, logits_s, logits_t, torch.zeros(5).long(), 1.0))
    out.loss.backward()
    f2 = f_s.detach().clone().requires_grad_(True)
    adv = loss.adversary(torch.cat([f2, f_t]))
    mdd_objective(adv[:5], adv[5:], logits_s.argmax(1), logits_t.argmax(1), 4.0).backward()
    assert torch.allclose(f_s.grad, -loss.schedule(1.0) * f2.grad, atol=1e-6)
    assert all(torch.isfinite(p.grad).all() for p in loss.adversary.parameters())


def test_head_training_lowers_the_objective():
    torch.manual_seed(1)
    loss = MDDLoss(2, 2, hidden=16, dropout=0.0)
    opt = torch.optim.SGD(loss.parameters(), lr=0.05)
    f_s, f_t = torch.randn(16, 2) + 2, torch.randn(16, 2) - 2
    logits_s, logits_t = torch.randn(16, 2), torch.randn(16, 2)
    inputs = LossInputs(f_s, f_t, logits_s, logits_t, torch.zeros(16).long(), 1.0)
    first = loss(inputs).loss.item()
    for _ in range(50):
        out = loss(inputs)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    assert loss(inputs).loss.item() < first
