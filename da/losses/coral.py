"""Deep CORAL: correlation alignment (Sun & Saenko, ECCV Workshops 2016).

Matches the second-order statistics of the two domains' features::

    L = || C_s - C_t ||_F^2 / (4 d^2),   C = (F^T F - (1^T F)^T (1^T F) / n) / (n - 1)

Shapes: ``f_s (B_s, d)``, ``f_t (B_t, d)``; ``B >= 2`` per domain. Computed in float32.
"""

from __future__ import annotations

from torch import Tensor

from da.losses.base import DALoss, LossInputs, LossOutput


def covariance(f: Tensor) -> Tensor:
    """Unbiased covariance ``(d, d)`` of ``f (n, d)``."""
    f = f.float()
    centred = f - f.mean(0, keepdim=True)
    return centred.T @ centred / (len(f) - 1)


class CORALLoss(DALoss):
    min_batch_size = 2

    def forward(self, inputs: LossInputs) -> LossOutput:
        d = inputs.f_s.shape[1]
        gap = covariance(inputs.f_s) - covariance(inputs.f_t)
        loss = gap.pow(2).sum() / (4 * d * d)
        return LossOutput(loss, {"coral": loss.detach()})
