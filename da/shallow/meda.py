"""MEDA: Manifold Embedded Distribution Alignment (Wang et al., ACM MM 2018).

Two stages, as in the authors' MATLAB release (jindongwang/transferlearning,
``code/traditional/MEDA/matlab``; its defaults are this class's defaults):

1. **Manifold feature learning**: the geodesic flow kernel (GFK, Gong et al., CVPR 2012)
   between the ``d``-dim PCA subspaces ``Ps`` (source) and ``Pt`` (target) of R^D,
   ``G = int_0^1 Phi(t) Phi(t)^T dt``, and the features ``z = sqrt(G) x`` (:func:`gfk_map`).
2. **Dynamic distribution alignment** in an RKHS (ARRLS-style structural risk):
   with ``f(x) = sum_i beta_i k(x_i, x)`` over the ``N = n + m`` source and target samples,
   ``Beta = ((E + lambda M + rho L) K + eta I)^-1 E Y`` (N x C), where ``E`` selects the
   labelled source rows, ``Y`` the one-hot source labels, ``K`` the RBF kernel of the
   L2-normalised embeddings, ``L`` the normalised graph Laplacian of the ``p``-NN cosine graph
   and ``M = (1 - mu) M_0 + mu sum_c M_c`` the marginal and class-conditional MMD matrices
   (target classes: pseudo-labels, first 1-NN, then ``argmax f``), scaled to unit Frobenius
   norm. The adaptive factor ``mu = A_c / (A_c + A_m)`` comes from proxy A-distances
   (:func:`estimate_mu`). ``T`` rounds of pseudo-labels, mu and Beta.

New points (e.g. held-out source samples) are predicted by the kernel expansion
``argmax_c K(x, X) Beta``, which on the fitted samples is the reference's ``F = K Beta``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC


def pca_basis(x: np.ndarray, d: int) -> np.ndarray:
    """The ``d`` leading principal directions of ``x`` (N x D, centred here), D x d."""
    _, _, vt = np.linalg.svd(x - x.mean(0), full_matrices=False)
    if len(vt) < d:
        raise ValueError(f"MEDA needs d={d} principal components, but a domain has only "
                         f"{len(vt)} samples or features; lower d")
    return vt[:d].T


def gfk_kernel(ps: np.ndarray, pt: np.ndarray) -> np.ndarray:
    """Geodesic flow kernel ``G`` (D x D) between the subspaces spanned by the orthonormal
    columns of ``ps`` and ``pt`` (D x d each), Gong et al. 2012, Eq. 6 in closed form.

    With ``Ps^T Pt = U1 cos(Theta) V^T`` and the complement part ``(I - Ps Ps^T) Pt V =
    Q sin(Theta)``, the geodesic is ``Phi(t) = Ps U1 cos(t Theta) + Q sin(t Theta)``
    (``Phi(1) = Pt V``; the paper's ``-Rs U2`` is ``Q``), and integrating over t,
    ``G = [Ps U1, Q] [[L1, L2], [L2, L3]] [Ps U1, Q]^T`` with ``L1 = (1 + sin 2a / 2a) / 2``,
    ``L2 = sin^2 a / 2a``, ``L3 = (1 - sin 2a / 2a) / 2`` per principal angle ``a``
    (the limits at ``a = 0``: 1, 0, 0, so equal subspaces give ``G = Ps Ps^T``).
    """
    u1, cos, vt = np.linalg.svd(ps.T @ pt)
    theta = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(theta)
    b = pt @ vt.T - ps @ (u1 * cos)  # (I - Ps Ps^T) Pt V = Q sin(Theta)
    q = np.divide(b, sin, out=np.zeros_like(b), where=sin > 1e-12)  # 0 where the angle is 0
    sinc2 = np.sinc(2 * theta / np.pi)  # sin(2t) / 2t, = 1 at t = 0
    l1, l2, l3 = 0.5 * (1 + sinc2), 0.5 * sin * np.sinc(theta / np.pi), 0.5 * (1 - sinc2)
    a = ps @ u1
    return ((a * l1) @ a.T + (a * l2) @ q.T + (q * l2) @ a.T + (q * l3) @ q.T)


def gfk_map(xs: np.ndarray, xt: np.ndarray, d: int) -> np.ndarray:
    """``W`` (D x r) with ``W W^T = G`` for the GFK of the ``d``-dim PCA subspaces of ``xs``
    and ``xt``: ``x W`` is the reference's ``sqrt(G) x`` up to a rotation (same inner
    products), in r <= 2d dims. Negative eigenvalues (round-off) are dropped, as the
    reference's ``real(G^0.5)`` does."""
    g = gfk_kernel(pca_basis(xs, d), pca_basis(xt, d))
    vals, vecs = np.linalg.eigh(0.5 * (g + g.T))
    keep = vals > 1e-12 * max(vals.max(), 1e-300)
    return vecs[:, keep] * np.sqrt(vals[keep])


def proxy_a_distance(a: np.ndarray, b: np.ndarray, C: float = 1.0) -> float:
    """``2 (1 - 2 err)``, ``err`` the training error of a linear SVM (hinge loss, as MATLAB's
    ``fitclinear(..., 'learner', 'svm')``) separating ``a`` from ``b``. An empty side is
    trivially separated (2.0)."""
    if len(a) == 0 or len(b) == 0:
        return 2.0
    x = np.vstack([a, b])
    y = np.r_[np.zeros(len(a)), np.ones(len(b))]
    with warnings.catch_warnings():  # the reference ignores non-convergence too
        warnings.simplefilter("ignore", ConvergenceWarning)
        err = np.mean(LinearSVC(C=C, loss="hinge", random_state=0).fit(x, y).predict(x) != y)
    return float(2 * (1 - 2 * err))


def estimate_mu(zs, ys, zt, yt_pseudo, classes) -> float:
    """Adaptive factor ``mu = A_c / (A_c + A_m)`` of dynamic distribution alignment:
    ``A_m`` the proxy A-distance of the domains, ``A_c`` its mean over classes (target:
    pseudo-labels); clipped to [0, 1], 0 below 1e-3 (as the reference)."""
    a_m = proxy_a_distance(zs, zt)
    a_c = np.mean([proxy_a_distance(zs[ys == c], zt[yt_pseudo == c]) for c in classes])
    if a_c + a_m == 0:
        return 0.0
    mu = a_c / (a_c + a_m)
    return float(0.0 if mu <= 1e-3 else min(mu, 1.0))


def knn_laplacian(x: np.ndarray, p: int) -> sparse.csr_matrix:
    """``I - D^-1/2 W D^-1/2`` of the ``p``-NN cosine graph of the rows of ``x`` (unit norm):
    each sample joined to its ``p + 1`` most similar (itself included) with the cosine as
    weight, then ``W = max(W, W^T)`` (Cai's ``lapgraph``, KNN / Cosine, as the reference)."""
    n = len(x)
    sim = x @ x.T
    k = min(p + 1, n)
    idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(n), k)
    w = sparse.csr_matrix((sim[rows, idx.ravel()], (rows, idx.ravel())), shape=(n, n))
    w = w.maximum(w.T)
    dinv = sparse.diags(1.0 / np.sqrt(np.maximum(np.asarray(w.sum(0)).ravel(), 1e-12)))
    return (sparse.identity(n, format="csr") - dinv @ w @ dinv).tocsr()


def mmd_factors(ys, yt_pseudo, classes, mu: float) -> tuple[np.ndarray, np.ndarray]:
    """``M = U diag(w) U^T / ||.||_F``: the marginal MMD column (weight ``(1 - mu) C``) and one
    column per class (weight ``mu``; a class no target sample is pseudo-labelled with keeps
    only its source part, as the reference's ``e(isinf(e)) = 0``)."""
    n, m = len(ys), len(yt_pseudo)
    cols = [np.r_[np.full(n, 1 / n), np.full(m, -1 / m)]]
    for c in classes:
        s, t = (ys == c).astype(float), (yt_pseudo == c).astype(float)
        cols.append(np.r_[s / max(s.sum(), 1), -t / max(t.sum(), 1)])
    u = np.stack(cols, 1)
    w = np.r_[(1 - mu) * len(classes), np.full(len(classes), mu)]
    gram = u.T @ u
    fro = np.sqrt(np.sum(np.outer(w, w) * gram ** 2))  # ||U diag(w) U^T||_F
    return u, w / fro


class MEDA(ClassifierMixin, BaseEstimator):
    """MEDA as a transductive scikit-learn / skada-style classifier.

    ``fit(X, y, sample_domain)``: source rows have ``sample_domain > 0`` and their labels,
    target rows ``sample_domain < 0`` (labels ignored, ``-1``); without ``sample_domain``,
    rows labelled ``-1`` are the target. Parameters (defaults: the authors' Office-Caltech
    demo): ``d`` GFK subspace dim, ``p`` graph neighbours, ``lam`` MMD weight (the paper's
    lambda), ``eta`` RKHS-norm weight, ``rho`` manifold weight, ``T`` pseudo-label rounds,
    ``kernel`` ``rbf`` (bandwidth from the data as the reference: 1 on unit-norm rows) or
    ``linear``.

    Fitted: ``classes_``, ``gfk_map_`` (D x r), ``x_fit_`` (N x r, unit rows), ``beta_``
    (N x C), ``mu_`` (mu of each round).
    """

    def __init__(self, d: int = 20, p: int = 10, lam: float = 10.0, eta: float = 0.1,
                 rho: float = 1.0, T: int = 10, kernel: str = "rbf") -> None:
        self.d, self.p, self.lam, self.eta, self.rho, self.T = d, p, lam, eta, rho, T
        self.kernel = kernel

    def _embed(self, x: np.ndarray) -> np.ndarray:
        z = np.asarray(x, np.float64) @ self.gfk_map_
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)

    def _kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.kernel == "linear":
            return a @ b.T
        if self.kernel == "rbf":
            return rbf_kernel(a, b, gamma=1 / (2 * self.sigma_ ** 2))
        raise ValueError(f"MEDA kernel must be 'rbf' or 'linear', got {self.kernel!r}")

    def fit(self, X, y, sample_domain=None):
        X, y = np.asarray(X, np.float64), np.asarray(y)
        src = (y >= 0) if sample_domain is None else (np.asarray(sample_domain) > 0)
        xs, ys, xt = X[src], y[src], X[~src]
        n, m = len(xs), len(xt)
        if m == 0:
            raise ValueError("MEDA needs unlabelled target samples (sample_domain < 0)")
        self.classes_ = np.unique(ys)
        self.gfk_map_ = gfk_map(xs, xt, self.d)
        zs, zt = xs @ self.gfk_map_, xt @ self.gfk_map_  # mu is estimated before normalising
        self.x_fit_ = x = self._embed(np.vstack([xs, xt]))
        # the reference's bandwidth: sqrt(mean row norm), 1 for unit rows
        self.sigma_ = float(np.sqrt(np.linalg.norm(x, axis=1).mean()))
        K = self._kernel(x, x)
        onehot = (ys[:, None] == self.classes_[None]).astype(float)
        Y = np.vstack([onehot, np.zeros((m, len(self.classes_)))])  # E Y: target rows 0
        LK = self.rho * (knn_laplacian(x, self.p) @ K) if self.rho > 0 else 0.0
        EK = np.vstack([K[:n], np.zeros((m, n + m))])
        cls = self.classes_[KNeighborsClassifier(n_neighbors=1).fit(x[:n], ys)
                            .predict(x[n:])]
        self.mu_ = []
        for _ in range(self.T):
            mu = estimate_mu(zs, ys, zt, cls, self.classes_)
            u, w = mmd_factors(ys, cls, self.classes_, mu)
            MK = u @ (w[:, None] * (u.T @ K))  # M K without forming the N x N matrix M
            A = EK + self.lam * MK + LK
            A[np.diag_indices_from(A)] += self.eta
            self.beta_ = np.linalg.solve(A, Y)
            cls = self.classes_[(K[n:] @ self.beta_).argmax(1)]
            self.mu_.append(mu)
        return self

    def decision_function(self, X) -> np.ndarray:
        """``K(x, X_fit) Beta`` (n_samples x C)."""
        return self._kernel(self._embed(X), self.x_fit_) @ self.beta_

    def predict(self, X, sample_domain=None, allow_source=False) -> np.ndarray:
        """The same rule for both domains (``sample_domain``, ``allow_source``: skada's
        signature, unused)."""
        return self.classes_[self.decision_function(X).argmax(1)]
