"""Entropy minimisation: hand values and gradient direction."""

from __future__ import annotations

import math

import torch

from da.losses.base import LossInputs
from da.losses.entropy import EntropyLoss


def _inputs(logits_t):
    z = torch.zeros(len(logits_t), 2)
    return LossInputs(z, z, logits_t[:, :0].new_zeros(len(logits_t), logits_t.shape[1]),
                      logits_t, torch.zeros(len(logits_t), dtype=torch.long), 0.5)


def test_hand_values():
    uniform = torch.zeros(2, 4)
    assert math.isclose(EntropyLoss(2, 4)(_inputs(uniform)).loss.item(), math.log(4), rel_tol=1e-6)
    logits = torch.tensor([[math.log(3.0), 0.0]])  # p = (3/4, 1/4)
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert math.isclose(EntropyLoss(2, 2)(_inputs(logits)).loss.item(), expected, rel_tol=1e-6)


def test_gradient_sharpens_the_prediction():
    logits = torch.tensor([[1.0, 0.0, 0.0]], requires_grad=True)
    EntropyLoss(2, 3)(_inputs(logits)).loss.backward()
    assert logits.grad[0, 0] < 0  # descending raises the leading logit
