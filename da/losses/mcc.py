"""MCC: minimum class confusion (Jin et al., ECCV 2020).

With temperature-scaled target predictions ``P = softmax(logits_t / T)`` ``(B, K)``:

1. sample weights from certainty: ``w_i = B (1 + exp(-H(P_i))) / sum_j (1 + exp(-H(P_j)))``;
2. class correlation ``C = P^T diag(w) P`` ``(K, K)``;
3. category normalisation: ``C_jk <- C_jk / sum_j' C_j'k`` (each column sums to 1);
4. ``L = (sum_jk C_jk - trace C) / K``: the between-class confusion.

Defaults as in the paper: ``T = 2.5``. Computed in float32.
"""

from __future__ import annotations

import torch

from da.losses.base import DALoss, LossInputs, LossOutput


class MCCLoss(DALoss):
    def __init__(self, feature_dim: int, num_classes: int, temperature: float = 2.5) -> None:
        super().__init__(feature_dim, num_classes)
        self.temperature = temperature

    def forward(self, inputs: LossInputs) -> LossOutput:
        p = torch.softmax(inputs.logits_t.float() / self.temperature, dim=1)
        b, k = p.shape
        h = -(p * torch.log(p + 1e-5)).sum(1).detach()
        w = 1 + torch.exp(-h)
        w = b * w / w.sum()
        confusion = (p * w[:, None]).T @ p
        confusion = confusion / confusion.sum(0, keepdim=True).clamp_min(1e-12)
        loss = (confusion.sum() - confusion.trace()) / k
        return LossOutput(loss, {"confusion": loss.detach()})
