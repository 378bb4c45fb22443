"""Label-free validators: scores of a checkpoint that need no target labels.

Each takes tensors gathered over one validation pass and returns a float. Inputs: target
softmax probabilities ``p (N_t, K)`` and features ``f_t (N_t, D)`` from the unlabelled
target pool; source validation features ``f_s (N_s, D)`` and per-sample losses ``l_s``.

* ``entropy`` (min): mean prediction entropy on target (Grandvalet & Bengio 2005).
* ``info_max`` (max): ``H(mean p) - mean H(p)``: confident and class-balanced (IM, SHOT).
* ``bnm`` (max): ``||P||_* / N``, batch nuclear norm (Cui et al. 2020).
* ``snd`` (max): soft neighbourhood density: entropy of the softmax over cosine
  similarities to the other target samples, temperature 0.05 (Saito et al. 2021).
* ``dev`` (min): deep embedded validation (You et al. 2019): source validation loss
  weighted by a domain classifier's density ratio ``p(t|x)/p(s|x)``, with the control
  variate ``eta = -Cov(w l, w) / Var(w)``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

# name -> (logged metric, mode); the selection configs name these monitors
VALIDATORS: dict[str, tuple[str, str]] = {
    "source_acc": ("val/source/acc", "max"),
    "source_loss": ("val/source/loss", "min"),
    "entropy": ("val/select/entropy", "min"),
    "info_max": ("val/select/info_max", "max"),
    "bnm": ("val/select/bnm", "max"),
    "snd": ("val/select/snd", "max"),
    "dev": ("val/select/dev", "min"),
}


def _entropy_rows(p: Tensor) -> Tensor:
    return -(p * p.clamp_min(1e-12).log()).sum(-1)


# entropy and info_max in float64 (p is N x K, cheap): once in CI a resumed run logged an
# entropy 2e-6 (17 float32 ulps) away from its uninterrupted twin while every other score of
# the same probabilities agreed (cause not pinned down; float32 log/sum rounding is the
# suspect); a checkpoint ranking must not hang on it. SND's N x N matrix stays float32.
def entropy(p: Tensor) -> float:
    return float(_entropy_rows(p.double()).mean())


def info_max(p: Tensor) -> float:
    p = p.double()
    return float(_entropy_rows(p.mean(0, keepdim=True)).squeeze(0) - _entropy_rows(p).mean())


def bnm(p: Tensor) -> float:
    return float(torch.linalg.svdvals(p.float()).sum() / len(p))


def snd(f: Tensor, temperature: float = 0.05, max_samples: int = 5000, seed: int = 0) -> float:
    """Soft neighbourhood density (Saito et al., ICCV 2021) of the target features.

    The ``N x N`` similarity matrix is scored on a fixed random subset of at most
    ``max_samples`` rows (the same at every validation), so large pools (60k MNIST) fit in
    memory: 5,000 rows cost 100 MB.
    """
    if len(f) > max_samples:
        idx = torch.randperm(len(f), generator=torch.Generator().manual_seed(seed))[:max_samples]
        f = f[idx]
    z = torch.nn.functional.normalize(f.float(), dim=1)
    sim = z @ z.T
    sim.fill_diagonal_(float("-inf"))
    return float(_entropy_rows(torch.softmax(sim / temperature, dim=1)).mean())


def dev(f_s: Tensor, loss_s: Tensor, f_t: Tensor, seed: int = 0) -> float:
    """Importance-weighted source validation loss; weights from a 2-fold cross-fitted
    logistic-regression domain classifier (so no sample is scored by a model fit on it)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    x = torch.cat([f_s, f_t]).float().numpy()
    d = np.r_[np.zeros(len(f_s)), np.ones(len(f_t))]
    p_t = np.zeros(len(f_s))
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for train, test in folds.split(x, d):
        clf = LogisticRegression(max_iter=500, C=1.0).fit(x[train], d[train])
        src = test[test < len(f_s)]
        p_t[src] = clf.predict_proba(x[src])[:, 1]
    p_t = p_t.clip(1e-4, 1 - 1e-4)
    w = p_t / (1 - p_t) * (len(f_s) / len(f_t))
    wl = w * loss_s.float().numpy()
    var = w.var(ddof=1)
    eta = -np.cov(wl, w)[0, 1] / var if var > 1e-12 else 0.0
    return float(wl.mean() + eta * w.mean() - eta)


def spearman(a: list[float], b: list[float]) -> float | None:
    """Rank correlation of two equal-length sequences (None when undefined)."""
    if len(a) < 3:
        return None
    import warnings

    from scipy.stats import spearmanr

    with warnings.catch_warnings():  # a constant score has no rank correlation: None below
        warnings.simplefilter("ignore")
        rho = spearmanr(a, b).statistic
    return None if rho != rho else float(rho)


def analyse(history: list[dict], oracle_key: str = "val/target/acc_oracle") -> dict:
    """For each validator: the step it would select, the target accuracy at that step,
    and the rank correlation of its score (oriented so higher = better) with target accuracy."""
    out = {}
    for name, (key, mode) in VALIDATORS.items():
        rows = [r for r in history if key in r and oracle_key in r]
        if not rows:
            continue
        sign = 1.0 if mode == "max" else -1.0
        best = max(rows, key=lambda r: sign * r[key])  # first best on ties
        out[name] = {"monitor": key, "mode": mode, "best_step": best["step"],
                     "target_acc": best[oracle_key],
                     "spearman": spearman([sign * r[key] for r in rows],
                                          [r[oracle_key] for r in rows])}
    return out
