"""BSP: batch spectral penalisation (Chen et al., ICML 2019).

Adversarial alignment tends to let a few dominant singular directions swamp the features
and hurt discriminability; BSP penalises the ``k`` largest singular values of each
domain's feature matrix::

    L = sum_{i<=k} sigma_i(F_s)^2 + sigma_i(F_t)^2

Shapes: ``f_s (B_s, D)``, ``f_t (B_t, D)``. Used with a small weight (1e-4 in the paper),
usually on top of DANN or CDAN. Singular values in float32.
"""

from __future__ import annotations

import torch
from torch import Tensor

from da.losses.base import DALoss, LossInputs, LossOutput


def top_singular_values(f: Tensor, k: int) -> Tensor:
    return torch.linalg.svdvals(f.float())[:k]


class BSPLoss(DALoss):
    def __init__(self, feature_dim: int, num_classes: int, k: int = 1) -> None:
        super().__init__(feature_dim, num_classes)
        self.k = k

    def forward(self, inputs: LossInputs) -> LossOutput:
        s = top_singular_values(inputs.f_s, self.k)
        t = top_singular_values(inputs.f_t, self.k)
        loss = s.pow(2).sum() + t.pow(2).sum()
        return LossOutput(loss, {"sigma1_s": s[0].detach(), "sigma1_t": t[0].detach()})
