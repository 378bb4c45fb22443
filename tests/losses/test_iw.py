"""Instance weighting: target-like source samples get larger weights; clipping and
normalisation; KMM lowers the weighted MMD; features receive no gradient."""

from __future__ import annotations

import torch

from da.losses.base import LossInputs
from da.losses.iw import ImportanceWeighting, clip_and_normalise, kmm_weights


def _inputs(f_s, f_t):
    z_s, z_t = torch.zeros(len(f_s), 2), torch.zeros(len(f_t), 2)
    return LossInputs(f_s, f_t, z_s, z_t, torch.zeros(len(f_s)).long(), 0.5)


def _shift(seed=0):
    g = torch.Generator().manual_seed(seed)
    f_s = torch.randn(64, 2, generator=g)          # source: N(0, 1)
    f_t = torch.randn(64, 2, generator=g) * 0.5 + torch.tensor([1.5, 0.0])  # target: shifted
    return f_s, f_t


def test_clip_and_normalise():
    w = clip_and_normalise(torch.tensor([0.0, 1.0, 100.0]), 0.1, 10.0)
    ref = torch.tensor([0.1, 1.0, 10.0])
    assert torch.allclose(w, ref / ref.mean()) and torch.isclose(w.mean(), torch.tensor(1.0))


def test_classifier_weights_favour_target_like_source_samples():
    torch.manual_seed(0)
    f_s, f_t = _shift()
    loss = ImportanceWeighting(2, 2, hidden=16)
    opt = torch.optim.Adam(loss.parameters(), lr=0.05)
    for _ in range(150):
        out = loss(_inputs(f_s, f_t))
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    w = loss(_inputs(f_s, f_t)).source_weights
    near = f_s[:, 0] > 1.0  # source samples in the target's region
    assert w[near].mean() > 2 * w[~near].mean()
    assert torch.isclose(w.mean(), torch.tensor(1.0)) and w.min() >= 0


def test_features_get_no_gradient_from_the_weighting():
    f_s, f_t = _shift()
    f_s.requires_grad_(True)
    out = ImportanceWeighting(2, 2)(_inputs(f_s, f_t))
    out.loss.backward()
    assert f_s.grad is None


def _weighted_mmd(f_s, f_t, w):
    def k(a, b):
        return torch.exp(-torch.cdist(a, b).pow(2))

    n, m = len(f_s), len(f_t)
    return (w @ k(f_s, f_s) @ w / n**2 + k(f_t, f_t).mean() - 2 * (w @ k(f_s, f_t)).sum() / (n * m))


def test_kmm_weights_reduce_the_weighted_mmd():
    f_s, f_t = _shift(1)
    w = kmm_weights(f_s, f_t)
    assert torch.isclose(w.mean(), torch.tensor(1.0), atol=1e-4) and (w >= 0).all()
    assert _weighted_mmd(f_s, f_t, w) < 0.5 * _weighted_mmd(f_s, f_t, torch.ones(64))
    out = ImportanceWeighting(2, 2, estimator="kmm")(_inputs(f_s, f_t))
    assert out.source_weights.shape == (64,) and torch.isfinite(out.loss)
