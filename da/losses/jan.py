"""JAN: joint adaptation networks (Long et al., ICML 2017), joint MMD.

Aligns the joint distribution of features and predictions with the product kernel
``k((f, g), (f', g')) = k_f(f, f') * k_g(g, g')``: a multi-kernel Gaussian on the
features (bandwidths relative to the batch, as in :mod:`da.losses.mmd`) times one Gaussian
on the softmax outputs ``g`` (bandwidth ``softmax_bandwidth``). Unbiased estimator::

    JMMD^2 = mean_{i != j} K_ss + mean_{i != j} K_tt - 2 mean K_st

Shapes: ``f (B, D)``, ``logits (B, K)``; ``B >= 2`` per domain.
"""

from __future__ import annotations

import torch
from torch import Tensor

from da.losses.base import DALoss, LossInputs, LossOutput
from da.losses.mmd import _multi_kernel, gaussian_kernel_bandwidths


def joint_kernel(fa: Tensor, fb: Tensor, ga: Tensor, gb: Tensor, bw_f: Tensor,
                 bw_g: float) -> Tensor:
    k_f = _multi_kernel(torch.cdist(fa, fb).pow(2), bw_f)
    k_g = torch.exp(-torch.cdist(ga, gb).pow(2) / bw_g)
    return k_f * k_g


def jmmd2(f_s: Tensor, f_t: Tensor, g_s: Tensor, g_t: Tensor, bw_f: Tensor,
          bw_g: float) -> Tensor:
    m, n = len(f_s), len(f_t)
    kss = joint_kernel(f_s, f_s, g_s, g_s, bw_f, bw_g)
    ktt = joint_kernel(f_t, f_t, g_t, g_t, bw_f, bw_g)
    kst = joint_kernel(f_s, f_t, g_s, g_t, bw_f, bw_g)
    return ((kss.sum() - kss.diagonal().sum()) / (m * (m - 1))
            + (ktt.sum() - ktt.diagonal().sum()) / (n * (n - 1)) - 2 * kst.mean())


class JANLoss(DALoss):
    min_batch_size = 2

    def __init__(self, feature_dim: int, num_classes: int, kernel_mul: float = 2.0,
                 num_kernels: int = 5, softmax_bandwidth: float = 1.68) -> None:
        super().__init__(feature_dim, num_classes)
        self.kernel_mul, self.num_kernels = kernel_mul, num_kernels
        self.softmax_bandwidth = softmax_bandwidth

    def forward(self, inputs: LossInputs) -> LossOutput:
        f_s, f_t = inputs.f_s.float(), inputs.f_t.float()
        g_s, g_t = inputs.logits_s.float().softmax(1), inputs.logits_t.float().softmax(1)
        bw = gaussian_kernel_bandwidths(f_s, f_t, self.kernel_mul, self.num_kernels)
        loss = jmmd2(f_s, f_t, g_s, g_t, bw, self.softmax_bandwidth)
        return LossOutput(loss, {"jmmd2": loss.detach()})
