"""MEDA (da/shallow/meda.py): the geodesic flow kernel against a numerical integral along an
independently built Grassmann geodesic, its known limits, the graph Laplacian and MMD matrix
against direct constructions, and MEDA beating the source-only classifier on a shifted
problem. The runner's end-to-end smoke test over every ``sk_*.yaml`` (tests/test_shallow.py)
covers ``method=sk_meda``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from da.shallow.meda import MEDA, gfk_kernel, gfk_map, knn_laplacian, mmd_factors


def orthonormal(rng, D: int, d: int) -> np.ndarray:
    return np.linalg.qr(rng.normal(size=(D, d)))[0]


def geodesic(ps: np.ndarray, pt: np.ndarray, t: float) -> np.ndarray:
    """Orthonormal basis of the point ``t`` of the Grassmann geodesic from span(ps) to
    span(pt) (Edelman, Arias & Smith 1998: ``(I - Ps Ps^T) Pt (Ps^T Pt)^-1 = U tan(S) V^T``,
    ``Y(t) = Ps V cos(S t) + U sin(S t)``)."""
    a = ps.T @ pt
    u, s, vt = np.linalg.svd((pt - ps @ a) @ np.linalg.inv(a), full_matrices=False)
    ang = np.arctan(s)
    return ps @ vt.T * np.cos(ang * t) + u * np.sin(ang * t)


def test_gfk_is_the_integral_of_the_projections_along_the_geodesic():
    rng = np.random.default_rng(0)
    ps, pt = orthonormal(rng, 12, 3), orthonormal(rng, 12, 3)
    nodes, weights = np.polynomial.legendre.leggauss(40)
    t, w = (nodes + 1) / 2, weights / 2  # Gauss-Legendre on [0, 1]
    reference = sum(wi * geodesic(ps, pt, ti) @ geodesic(ps, pt, ti).T
                    for ti, wi in zip(t, w, strict=True))
    end = geodesic(ps, pt, 1.0)
    np.testing.assert_allclose(end @ end.T, pt @ pt.T, atol=1e-10)  # the geodesic is right
    np.testing.assert_allclose(gfk_kernel(ps, pt), reference, atol=1e-10)


def test_gfk_is_symmetric_psd_of_rank_at_most_2d_and_the_projection_for_one_subspace():
    rng = np.random.default_rng(1)
    ps, pt = orthonormal(rng, 20, 4), orthonormal(rng, 20, 4)
    g = gfk_kernel(ps, pt)
    np.testing.assert_allclose(g, g.T, atol=1e-12)
    vals = np.linalg.eigvalsh(g)
    assert vals.min() > -1e-12 and np.sum(vals > 1e-9) == 8
    assert np.trace(g) == pytest.approx(4.0)  # the mean of projections of rank 4
    p = orthonormal(rng, 20, 4)
    same = gfk_kernel(p, p @ orthonormal(rng, 4, 4))  # another basis of the same subspace
    np.testing.assert_allclose(same, p @ p.T, atol=1e-10)


def test_gfk_map_squares_to_the_kernel_of_the_pca_subspaces():
    rng = np.random.default_rng(2)
    xs, xt = rng.normal(size=(60, 15)), rng.normal(size=(50, 15)) @ rng.normal(size=(15, 15))
    w = gfk_map(xs, xt, 3)
    assert w.shape[1] <= 6

    def pca(x):
        return np.linalg.svd(x - x.mean(0), full_matrices=False)[2][:3].T

    np.testing.assert_allclose(w @ w.T, gfk_kernel(pca(xs), pca(xt)), atol=1e-10)


def test_knn_laplacian_is_the_normalised_laplacian_of_the_cosine_graph():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 5)) + 1.0
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    w = np.zeros_like(sim)
    for i in range(30):  # the p + 1 most similar, itself included, then max(W, W^T)
        nn = np.argsort(-sim[i])[:4]
        w[i, nn] = sim[i, nn]
    w = np.maximum(w, w.T)
    dinv = np.diag(1 / np.sqrt(w.sum(0)))
    L = knn_laplacian(x, 3).toarray()
    np.testing.assert_allclose(L, np.eye(30) - dinv @ w @ dinv, atol=1e-12)
    vals = np.linalg.eigvalsh(L)
    assert vals.min() > -1e-10 and vals.max() < 2 + 1e-10


def test_mmd_matrix_is_the_reference_sum_of_outer_products_with_unit_norm():
    ys, yt = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 2, 2, 0])  # class 1: no target sample
    classes, mu, n, m = np.array([0, 1, 2]), 0.3, 6, 4
    e = np.r_[np.full(n, 1 / n), np.full(m, -1 / m)]
    M = np.outer(e, e) * 3
    N = 0
    for c in classes:
        e = np.zeros(n + m)
        e[:n][ys == c] = 1 / np.sum(ys == c)
        if np.any(yt == c):
            e[n:][yt == c] = -1 / np.sum(yt == c)
        N = N + np.outer(e, e)
    M = (1 - mu) * M + mu * N
    u, w = mmd_factors(ys, yt, classes, mu)
    np.testing.assert_allclose(u @ np.diag(w) @ u.T, M / np.linalg.norm(M), atol=1e-12)


def shifted_problem(seed: int = 0, k: int = 3, D: int = 40):
    """``k`` Gaussian classes; the target is the source rotated by 70 degrees in each plane of
    two consecutive coordinates and shifted: a source-only linear model falls to 58-75%."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, D)) * 0.8
    ys, yt = np.arange(240) % k, np.arange(210) % k
    xs = centres[ys] + rng.normal(size=(240, D))
    a = np.deg2rad(70)
    rot = np.eye(D)
    for i in range(0, D, 2):
        rot[i:i + 2, i:i + 2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
    xt = (centres[yt] + rng.normal(size=(210, D))) @ rot.T + 0.5
    return xs, ys, xt, yt


@pytest.mark.parametrize("seed", [0, 1])
def test_meda_beats_source_only_on_a_shifted_problem(seed):
    xs, ys, xt, yt = shifted_problem(seed)
    source_only = np.mean(LogisticRegression(max_iter=1000).fit(xs, ys).predict(xt) == yt)
    X, y = np.vstack([xs, xt]), np.r_[ys, np.full(len(yt), -1)]
    dom = np.r_[np.ones(len(ys)), -np.ones(len(yt))]
    est = MEDA(d=10).fit(X, y, sample_domain=dom)
    acc = np.mean(est.predict(xt, sample_domain=-np.ones(len(yt))) == yt)
    assert acc > max(source_only + 0.15, 0.9), (acc, source_only)
    assert len(est.mu_) == 10 and all(0 <= mu <= 1 for mu in est.mu_)
    # the source stays predictable (label-free selection scores held-out source samples)
    assert np.mean(est.predict(xs, allow_source=True) == ys) > 0.9
    # masked labels alone say which rows are the target
    np.testing.assert_array_equal(MEDA(d=10).fit(X, y).predict(xt), est.predict(xt))
