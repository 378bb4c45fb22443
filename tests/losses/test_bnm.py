"""BNM against an explicit SVD reference; diverse confident predictions score best."""

from __future__ import annotations

import torch

from da.losses.base import LossInputs
from da.losses.bnm import BNMLoss


def _inputs(logits_t):
    z = torch.zeros(len(logits_t), 2)
    return LossInputs(z, z, torch.zeros_like(logits_t), logits_t,
                      torch.zeros(len(logits_t), dtype=torch.long), 0.5)


def test_matches_svd_reference():
    logits = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
    p = logits.softmax(1)
    u, s, v = torch.linalg.svd(p)
    assert torch.isclose(BNMLoss(2, 4)(_inputs(logits)).loss, -s.sum() / 6, atol=1e-6)


def test_confident_and_diverse_beats_collapsed():
    diverse = 20 * torch.eye(4)
    collapsed = 20 * torch.eye(4)[[0, 0, 0, 0]]
    loss = BNMLoss(2, 4)
    assert torch.isclose(loss(_inputs(diverse)).loss, torch.tensor(-1.0), atol=1e-4)
    assert loss(_inputs(diverse)).loss < loss(_inputs(collapsed)).loss


def test_gradient_is_finite_and_nonzero():
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(1), requires_grad=True)
    BNMLoss(2, 3)(_inputs(logits)).loss.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
