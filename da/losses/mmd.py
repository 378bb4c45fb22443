"""Multi-kernel MMD (DAN: Long et al., ICML 2015; Gretton et al., JMLR 2012).

With Gaussian kernels ``k_s(x, y) = exp(-||x - y||^2 / s)`` summed over bandwidths
``s in {b * mul^(i - n//2)}``, ``b`` the mean pairwise squared distance of the joint
batch (detached), the squared MMD between source ``X (m, D)`` and target ``Y (n, D)`` is
estimated by

* ``quadratic`` (unbiased, O((m+n)^2))::

    1/(m(m-1)) sum_{i!=j} k(x_i,x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i,y_j) - 2/(mn) sum k(x_i,y_j)

* ``linear`` (Gretton et al. 2012, Lemma 14; O(m)), over ``h = min(m, n) // 2`` pairs::

    1/h sum_i k(x_2i,x_2i+1) + k(y_2i,y_2i+1) - k(x_2i,y_2i+1) - k(x_2i+1,y_2i)

Both are unbiased for the same MMD^2 (given the bandwidths), so they agree on average;
either may be slightly negative on a batch.

Under DDP the statistic is per process by default (each process's half of the global
batch; gradients are then averaged). ``gather=true`` gathers the features of all
processes first (differentiably), so the loss equals the one-process value on the whole
global batch, at the cost of an all-gather per step.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from da.distributed import gather_with_grad
from da.errors import DAError
from da.losses.base import DALoss, LossInputs, LossOutput


def gaussian_kernel_bandwidths(x: Tensor, y: Tensor, kernel_mul: float = 2.0,
                               num_kernels: int = 5) -> Tensor:
    """Bandwidths ``b * mul^(i - n//2)`` around the joint batch's mean squared distance ``b``."""
    z = torch.cat([x, y]).detach()
    n = len(z)
    d2 = torch.cdist(z, z).pow(2)
    base = d2.sum() / max(n * n - n, 1)
    base = base.clamp_min(torch.finfo(d2.dtype).tiny)
    powers = torch.arange(num_kernels, device=z.device, dtype=z.dtype) - num_kernels // 2
    return base * kernel_mul**powers


def _multi_kernel(d2: Tensor, bandwidths: Tensor) -> Tensor:
    return torch.exp(-d2.unsqueeze(-1) / bandwidths).sum(-1)


def mmd2_quadratic(x: Tensor, y: Tensor, bandwidths: Tensor) -> Tensor:
    """Unbiased quadratic-time MMD^2 of ``x (m, D)`` and ``y (n, D)``; needs m, n >= 2."""
    m, n = len(x), len(y)
    kxx = _multi_kernel(torch.cdist(x, x).pow(2), bandwidths)
    kyy = _multi_kernel(torch.cdist(y, y).pow(2), bandwidths)
    kxy = _multi_kernel(torch.cdist(x, y).pow(2), bandwidths)
    xx = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
    yy = (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
    return xx + yy - 2 * kxy.mean()


def mmd2_linear(x: Tensor, y: Tensor, bandwidths: Tensor) -> Tensor:
    """Linear-time unbiased MMD^2 over ``min(m, n) // 2`` disjoint pairs; needs m, n >= 2."""
    h = min(len(x), len(y)) // 2
    x1, x2 = x[0:2 * h:2], x[1:2 * h:2]
    y1, y2 = y[0:2 * h:2], y[1:2 * h:2]

    def k(a: Tensor, b: Tensor) -> Tensor:
        return _multi_kernel((a - b).pow(2).sum(-1), bandwidths)

    return (k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1)).mean()


class MMDLoss(DALoss):
    """Multi-kernel Gaussian MMD between source and target features.

    Args:
        estimator: ``quadratic`` (unbiased) or ``linear`` (linear time).
        kernel_mul: ratio between consecutive bandwidths.
        num_kernels: number of Gaussian kernels.
        bandwidths: fixed bandwidths instead of batch-relative ones (mainly for tests).
        gather: under DDP, compute the statistic on the features of all processes.
    """

    min_batch_size = 2
    estimators = {"quadratic": mmd2_quadratic, "linear": mmd2_linear}

    def __init__(self, feature_dim: int, num_classes: int, estimator: str = "quadratic",
                 kernel_mul: float = 2.0, num_kernels: int = 5,
                 bandwidths: Sequence[float] | None = None, gather: bool = False) -> None:
        super().__init__(feature_dim, num_classes)
        if estimator not in self.estimators:
            raise DAError(f"unknown MMD estimator {estimator!r}; "
                             f"choose one of {sorted(self.estimators)}")
        self.estimator = estimator
        self.kernel_mul = kernel_mul
        self.num_kernels = num_kernels
        self.fixed = None if bandwidths is None else tuple(float(b) for b in bandwidths)
        self.gather = gather

    def forward(self, inputs: LossInputs) -> LossOutput:
        x, y = inputs.f_s, inputs.f_t
        if self.gather:
            x, y = gather_with_grad(x), gather_with_grad(y)
        if self.fixed is not None:
            bw = torch.tensor(self.fixed, device=x.device, dtype=x.dtype)
        else:
            bw = gaussian_kernel_bandwidths(x, y, self.kernel_mul, self.num_kernels)
        mmd2 = self.estimators[self.estimator](x, y, bw)
        return LossOutput(mmd2, {"mmd2": mmd2.detach()})
