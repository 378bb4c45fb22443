"""MCC against a loop-based reference of the paper's algorithm."""

from __future__ import annotations

import math

import torch

from da.losses.base import LossInputs
from da.losses.mcc import MCCLoss


def _inputs(logits_t):
    z = torch.zeros(len(logits_t), 2)
    return LossInputs(z, z, torch.zeros_like(logits_t), logits_t,
                      torch.zeros(len(logits_t), dtype=torch.long), 0.5)


def _reference(logits, t):
    b, k = logits.shape
    p = [[math.exp(v / t) for v in row] for row in logits.tolist()]
    p = [[v / sum(row) for v in row] for row in p]
    h = [-sum(v * math.log(v + 1e-5) for v in row) for row in p]
    w = [1 + math.exp(-x) for x in h]
    w = [b * x / sum(w) for x in w]
    c = [[sum(w[i] * p[i][a] * p[i][bb] for i in range(b)) for bb in range(k)] for a in range(k)]
    col = [sum(c[a][bb] for a in range(k)) for bb in range(k)]
    c = [[c[a][bb] / col[bb] for bb in range(k)] for a in range(k)]
    return (sum(map(sum, c)) - sum(c[i][i] for i in range(k))) / k


def test_matches_reference():
    logits = torch.randn(7, 4, generator=torch.Generator().manual_seed(0)) * 3
    got = MCCLoss(2, 4, temperature=2.5)(_inputs(logits)).loss.item()
    assert math.isclose(got, _reference(logits, 2.5), rel_tol=1e-5)


def test_no_confusion_for_confident_distinct_predictions():
    logits = 100 * torch.eye(3)
    assert MCCLoss(2, 3, temperature=1.0)(_inputs(logits)).loss.item() < 1e-6
    uniform = torch.zeros(3, 3)
    assert MCCLoss(2, 3)(_inputs(uniform)).loss.item() > 0.5


def test_gradient_is_finite_and_nonzero():
    logits = torch.randn(6, 3, generator=torch.Generator().manual_seed(2), requires_grad=True)
    MCCLoss(2, 3)(_inputs(logits)).loss.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
