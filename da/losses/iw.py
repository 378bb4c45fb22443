"""Instance weighting: importance weights for source samples (covariate shift).

Under covariate shift, the target risk is the source risk re-weighted by the density
ratio ``w(x) = p_t(x) / p_s(x)``. This plugin estimates it per source sample and hands it
to ``DAModule`` (``LossOutput.source_weights``), which uses ``mean(w_i * CE_i)``:

* ``estimator=classifier`` (default): a domain classifier ``d`` (a small MLP on *detached*
  features, so it never moves them) is trained by this plugin's own loss, BCE with target
  = 1 and source = 0; then ``w = (n_s / n_t) * d / (1 - d)`` (Bickel et al., 2007);
* ``estimator=kmm``: kernel mean matching (Huang et al., NIPS 2006) on the batch: weights
  ``w in [0, B]`` with mean 1 minimising the RKHS distance between the weighted source
  mean and the target mean, ``|| (1/n_s) sum w_i phi(x_i) - (1/n_t) sum phi(t_j) ||^2``,
  solved by projected gradient descent (Gaussian kernel, median-distance bandwidth).

Weights are clipped to ``[w_min, w_max]`` and normalised to mean 1. Logged: mean and max
weight and the effective sample size ``(sum w)^2 / sum w^2``. Shapes: ``f (B, D)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from da.errors import DAError
from da.losses.base import DALoss, LossInputs, LossOutput


def clip_and_normalise(w: Tensor, w_min: float, w_max: float) -> Tensor:
    w = w.clamp(w_min, w_max)
    return w / w.mean().clamp_min(1e-12)


def kmm_weights(x_s: Tensor, x_t: Tensor, b_max: float | None = None, steps: int = 200,
                lr: float = 0.1) -> Tensor:
    """Kernel mean matching weights ``(n_s,)`` by projected gradient descent (float32)."""
    x_s, x_t = x_s.detach().float(), x_t.detach().float()
    n_s, n_t = len(x_s), len(x_t)
    z = torch.cat([x_s, x_t])
    d2 = torch.cdist(z, z).pow(2)
    sigma2 = d2[d2 > 0].median() if (d2 > 0).any() else torch.tensor(1.0)
    k = torch.exp(-d2 / sigma2)
    k_ss, k_st = k[:n_s, :n_s], k[:n_s, n_s:]
    kappa = k_st.sum(1) * n_s / n_t  # so that uniform weights are the fixed point when equal
    b_max = float(n_s) if b_max is None else b_max
    w = torch.ones(n_s)
    step = lr / (torch.linalg.matrix_norm(k_ss, 2) + 1e-12)
    for _ in range(steps):
        grad = k_ss @ w - kappa  # gradient of 0.5 w^T K w - kappa^T w
        w = (w - step * grad).clamp(0.0, b_max)
        w = w * n_s / w.sum().clamp_min(1e-12)
    return w


class ImportanceWeighting(DALoss):
    """Args:
        estimator: ``classifier`` or ``kmm``.
        hidden: width of the domain classifier.
        w_min, w_max: clipping range of the weights.
    """

    min_batch_size = 2
    # acts through the source weights, never through a gradient on the features
    reweights_source = True

    def __init__(self, feature_dim: int, num_classes: int, estimator: str = "classifier",
                 hidden: int = 256, w_min: float = 0.1, w_max: float = 10.0) -> None:
        super().__init__(feature_dim, num_classes)
        if estimator not in ("classifier", "kmm"):
            raise DAError(f"method.loss.estimator={estimator!r}; choose classifier or kmm")
        if not 0 < w_min <= 1 <= w_max:
            raise DAError(f"need 0 < w_min <= 1 <= w_max, got w_min={w_min}, w_max={w_max}")
        self.estimator, self.w_min, self.w_max = estimator, w_min, w_max
        self.domain_classifier = nn.Sequential(
            nn.Linear(feature_dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1))

    def forward(self, inputs: LossInputs) -> LossOutput:
        f_s, f_t = inputs.f_s.detach().float(), inputs.f_t.detach().float()
        n_s, n_t = len(f_s), len(f_t)
        logits = self.domain_classifier(torch.cat([f_s, f_t])).squeeze(-1)
        labels = torch.cat([torch.zeros(n_s), torch.ones(n_t)]).to(logits)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        if self.estimator == "kmm":
            raw = kmm_weights(f_s, f_t)
        else:  # d/(1-d) = exp(logit)
            raw = (n_s / n_t) * torch.exp(logits[:n_s].detach().clamp(-20, 20))
        w = clip_and_normalise(raw, self.w_min, self.w_max)
        ess = w.sum() ** 2 / w.pow(2).sum()
        return LossOutput(loss, {"w_mean": w.mean(), "w_max": w.max(), "ess": ess},
                          source_weights=w)
