"""BNM: batch nuclear-norm maximisation (Cui et al., CVPR 2020).

Maximising the nuclear norm of the target prediction matrix raises both confidence and
diversity of the predictions::

    L = - || softmax(logits_t) ||_* / B_t

Shapes: ``logits_t (B_t, K)``. Singular values in float32.
"""

from __future__ import annotations

import torch

from da.losses.base import DALoss, LossInputs, LossOutput


class BNMLoss(DALoss):
    def forward(self, inputs: LossInputs) -> LossOutput:
        p = torch.softmax(inputs.logits_t.float(), dim=1)
        loss = -torch.linalg.svdvals(p).sum() / len(p)
        return LossOutput(loss, {"nuclear_norm": -loss.detach()})
