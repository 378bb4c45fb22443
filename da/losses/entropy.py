"""Entropy minimisation on the target (Grandvalet & Bengio, NIPS 2005).

Pushes target predictions away from the decision boundary::

    L = mean_i H(p_i),   H(p) = - sum_k p_k log p_k,   p_i = softmax(logits_t[i])

Shapes: ``logits_t (B_t, K)``. Used alone it can collapse onto few classes; it is most
often stacked on an alignment method (``+method@method.extras.entropy=entropy``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from da.losses.base import DALoss, LossInputs, LossOutput


def mean_entropy(logits: Tensor) -> Tensor:
    logp = torch.log_softmax(logits.float(), dim=1)
    return -(logp.exp() * logp).sum(1).mean()


class EntropyLoss(DALoss):
    def forward(self, inputs: LossInputs) -> LossOutput:
        loss = mean_entropy(inputs.logits_t)
        return LossOutput(loss, {"entropy": loss.detach()})
