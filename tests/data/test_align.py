"""``data.align=coral``: the source re-coloured with the target's covariance, no labels read."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from da.build import build_datamodule, build_family
from da.data import align
from da.errors import DAError


def _gaussian(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d))


def test_coral_map_gives_the_source_the_target_covariance():
    xs, xt, reg = _gaussian(500, 6, 0), _gaussian(400, 6, 1), 1.0
    a = align.coral_map(xs, xt, reg)
    eye = np.eye(6)
    # A^T (C_s + reg I) A = C_t + reg I: the regularised covariances match exactly
    np.testing.assert_allclose(a.T @ (np.cov(xs, rowvar=False) + reg * eye) @ a,
                               np.cov(xt, rowvar=False) + reg * eye, rtol=1e-8, atol=1e-8)
    # and the map changes something: the source covariance was not the target's
    assert not np.allclose(np.cov(xs, rowvar=False), np.cov(xt, rowvar=False), atol=0.5)


def test_coral_map_of_a_domain_onto_itself_is_the_identity():
    x = _gaussian(300, 5, 2)
    np.testing.assert_allclose(align.coral_map(x, x), np.eye(5), atol=1e-8)


def _dm(make_cfg, *overrides):
    cfg = make_cfg("dataset=moons", "backbone=mlp", *overrides)
    dm = build_datamodule(cfg, build_family(cfg))
    dm.setup()
    return dm


def test_datamodule_aligns_every_source_split_with_one_map_and_leaves_the_target(make_cfg):
    plain, aligned = _dm(make_cfg), _dm(make_cfg, "data.align=coral", "data.align_reg=0.5")
    a = align.fit_coral(plain.splits["source_train"].x, plain.target_pool, 0.5)
    for name in ("source_train", "source_val", "source_test"):
        p, q = plain.splits[name], aligned.splits[name]
        assert torch.equal(p.y, q.y)
        torch.testing.assert_close(q.x, align.apply(p.x, a))
        assert not torch.allclose(q.x, p.x)
    assert torch.equal(aligned.target_pool, plain.target_pool)
    assert torch.equal(aligned.splits["target_test"].x, plain.splits["target_test"].x)
    # fitted on the training split only: the held-out source validation is not in the fit
    a_all = align.fit_coral(torch.cat([plain.splits["source_train"].x,
                                       plain.splits["source_val"].x]), plain.target_pool, 0.5)
    assert not torch.allclose(a, a_all)


@pytest.mark.parametrize("bad", [torch.zeros(4, 1, 8, 8), torch.zeros(5)])
def test_align_refuses_anything_but_feature_vectors(bad):
    with pytest.raises(DAError, match=r"\(N, D\) feature vectors.*data.align=none"):
        align.fit_coral(bad, torch.zeros(4, 64))
