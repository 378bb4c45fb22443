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
* ``iwv`` (min): importance-weighted validation (Sugiyama, Krauledat & Müller, JMLR 2007):
  the same density ratio, clipped to [0.1, 10] and normalised to mean 1, without DEV's
  control variate: ``mean(w l)``.
* ``reverse`` (max): reverse / circular validation (Zhong et al., ECML PKDD 2010; the DANN
  paper, Ganin et al. JMLR 2016, selects with it): a reverse classifier trained on the
  target features with the model's pseudo-labels, scored by its accuracy on the labelled
  held-out source features.
* ``mixval`` (max): MixVal's inter-cluster score (Hu et al., NeurIPS 2023): target inputs
  mixed ``0.55 x_i + 0.45 x_j`` with a partner of another pseudo-label (the batch reversed),
  scored by how often the model's prediction of the mixture is ``x_i``'s pseudo-label.
  (The paper's full MixVal also ranks an intra-cluster score and averages the two ranks
  over the candidates; only the inter-cluster probe is a per-checkpoint score.)

EnsV (Hu et al., NeurIPS 2024) compares candidates, not checkpoints: it lives in
:mod:`da.selection.sweep`.
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
    "iwv": ("val/select/iwv", "min"),
    "reverse": ("val/select/reverse", "max"),
    "mixval": ("val/select/mixval", "max"),
}
# the target validators DAModule can log (the others are its own metrics)
LOGGED = ("entropy", "info_max", "bnm", "snd", "dev", "iwv", "reverse", "mixval")


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


def density_ratio(f_s: Tensor, f_t: Tensor, seed: int = 0) -> np.ndarray:
    """``p_t(x) / p_s(x)`` at each source sample from a 2-fold cross-fitted logistic-regression
    domain classifier (so no sample is scored by a model fit on it)."""
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
    return p_t / (1 - p_t) * (len(f_s) / len(f_t))


def dev(f_s: Tensor, loss_s: Tensor, f_t: Tensor, seed: int = 0,
        w: np.ndarray | None = None) -> float:
    """Importance-weighted source validation loss with DEV's control variate (``w``: the
    :func:`density_ratio`, when already computed for these features)."""
    w = density_ratio(f_s, f_t, seed) if w is None else w
    wl = w * loss_s.float().numpy()
    var = w.var(ddof=1)
    eta = -np.cov(wl, w)[0, 1] / var if var > 1e-12 else 0.0
    return float(wl.mean() + eta * w.mean() - eta)


def iwv(f_s: Tensor, loss_s: Tensor, f_t: Tensor, seed: int = 0,
        clip: tuple[float, float] = (0.1, 10.0), w: np.ndarray | None = None) -> float:
    """Importance-weighted validation (Sugiyama et al., JMLR 2007): ``mean(w l)`` over the
    source validation samples, ``w`` the density ratio clipped to ``clip`` and normalised to
    mean 1 (a few huge weights would otherwise make one sample the whole score)."""
    w = (density_ratio(f_s, f_t, seed) if w is None else w).clip(*clip)
    w = w / w.mean()
    return float(np.mean(w * loss_s.double().numpy()))


def reverse(f_s: Tensor, y_s: Tensor, f_t: Tensor, p_t: Tensor, seed: int = 0,
            max_samples: int = 5000) -> float:
    """Reverse validation (Zhong et al., ECML PKDD 2010): a standardised logistic regression
    trained on (at most ``max_samples`` of) the target features with the model's
    pseudo-labels ``argmax p_t``, then its accuracy on the labelled source features. A
    model whose pseudo-labels carry the classes back to the source scores high."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pseudo = p_t.argmax(-1)
    if len(f_t) > max_samples:
        idx = torch.randperm(len(f_t), generator=torch.Generator().manual_seed(seed))[:max_samples]
        f_t, pseudo = f_t[idx], pseudo[idx]
    y = y_s.numpy()
    if len(torch.unique(pseudo)) < 2:  # one class only: the reverse model predicts it
        return float(np.mean(y == int(pseudo[0])))
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    clf.fit(f_t.float().numpy(), pseudo.numpy())
    return float(np.mean(clf.predict(f_s.float().numpy()) == y))


def mixval_batch(predict, x: Tensor, pseudo: Tensor, lam: float = 0.55) -> tuple[Tensor, Tensor]:
    """MixVal's inter-cluster probe on one batch: ``(correct, total)`` over the pairs
    ``(i, N-1-i)`` whose pseudo-labels differ; ``predict`` maps inputs to logits."""
    rev = torch.arange(len(x) - 1, -1, -1, device=x.device)
    diff = pseudo != pseudo[rev]
    if not bool(diff.any()):
        zero = torch.zeros((), dtype=torch.long, device=x.device)
        return zero, zero
    mixed = lam * x[diff] + (1 - lam) * x[rev][diff]
    correct = (predict(mixed).argmax(-1) == pseudo[diff]).sum()
    return correct, diff.sum()


def mixval(correct: Tensor, total: Tensor) -> float:
    """The share of mixtures predicted as their dominant sample's pseudo-label; 0 when no
    pair crosses a class boundary (a model that predicts one class)."""
    n = int(total.sum())
    return float(correct.sum()) / n if n else 0.0


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
