"""CDAN / CDAN+E: the conditioning map, entropy weights, reversed gradients, and a
discriminator that learns to separate separable domains."""

from __future__ import annotations

import math

import torch

from da.losses.base import LossInputs
from da.losses.cdan import CDANLoss, entropy_weights, multilinear


def _inputs(f_s, f_t, logits_s, logits_t, progress=1.0):
    return LossInputs(f_s, f_t, logits_s, logits_t, torch.zeros(len(f_s), dtype=torch.long),
                      progress)


def test_multilinear_is_the_flattened_outer_product():
    f = torch.tensor([[1.0, 2.0, 3.0]])
    g = torch.tensor([[0.25, 0.75]])
    assert torch.equal(multilinear(f, g), torch.tensor([[0.25, 0.5, 0.75, 0.75, 1.5, 2.25]]))


def test_randomized_map_when_the_product_is_large():
    small, big = CDANLoss(8, 4), CDANLoss(256, 31)
    assert not small.randomized and big.randomized
    h = big.condition(torch.randn(5, 256), torch.softmax(torch.randn(5, 31), 1))
    assert h.shape == (5, 1024)
    assert CDANLoss(8, 4, randomized=True).condition(torch.randn(3, 8), torch.rand(3, 4)).shape == (3, 1024)


def test_entropy_weights_match_hand_values():
    g = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    w1, w2 = 1 + math.exp(-0.0), 1 + math.exp(-(-2 * 0.5 * math.log(0.5 + 1e-5)))
    ref = torch.tensor([w1, w2]) / (w1 + w2)
    assert torch.allclose(entropy_weights(g), ref, atol=1e-6)


def test_feature_gradient_is_reversed_relative_to_the_discriminator():
    torch.manual_seed(0)
    loss = CDANLoss(4, 3, hidden=16, batch_norm=False)
    f_s = torch.randn(6, 4, requires_grad=True)
    f_t = torch.randn(6, 4) + 1
    logits_s, logits_t = torch.randn(6, 3), torch.randn(6, 3)
    out = loss(_inputs(f_s, f_t, logits_s, logits_t, progress=1.0))
    out.loss.backward()
    reversed_grad = f_s.grad.clone()
    # the same loss without reversal: gradient of the discriminator's objective
    f2 = f_s.detach().clone().requires_grad_(True)
    g = torch.cat([logits_s, logits_t]).softmax(1)
    h = multilinear(torch.cat([f2, f_t]), g)
    labels = torch.cat([torch.ones(6), torch.zeros(6)])
    torch.nn.functional.binary_cross_entropy_with_logits(loss.discriminator(h), labels).backward()
    coeff = loss.schedule(1.0)
    assert torch.allclose(reversed_grad, -coeff * f2.grad, atol=1e-6)


def test_discriminator_learns_to_separate_separable_domains():
    torch.manual_seed(0)
    for entropy in (False, True):
        loss = CDANLoss(2, 2, hidden=32, batch_norm=False, entropy_conditioning=entropy)
        opt = torch.optim.SGD(loss.parameters(), lr=0.1)
        f_s, f_t = torch.randn(32, 2) + 3, torch.randn(32, 2) - 3
        logits = torch.randn(64, 2)
        for _ in range(60):
            out = loss(_inputs(f_s, f_t, logits[:32], logits[32:]))
            opt.zero_grad()
            out.loss.backward()
            opt.step()
        assert out.logs["disc_acc"] > 0.95, entropy
