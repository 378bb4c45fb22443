"""AFN: stepwise adaptive feature norm (Xu et al., ICCV 2019).

Target features with small norms carry little information for the classifier; SAFN
enlarges every feature norm progressively, by ``delta_r`` per step, on both domains::

    L = mean_i ( ||f_i||.detach() + delta_r - ||f_i|| )^2     (summed over the two domains)

Shapes: ``f_s (B_s, D)``, ``f_t (B_t, D)``. The paper uses weight 0.05 and ``delta_r = 1``
with dropout in the bottleneck. Norms in float32.
"""

from __future__ import annotations

from torch import Tensor

from da.losses.base import DALoss, LossInputs, LossOutput


def stepwise_norm_loss(f: Tensor, delta_r: float) -> Tensor:
    norm = f.float().norm(dim=1)
    return (norm.detach() + delta_r - norm).pow(2).mean()


class AFNLoss(DALoss):
    def __init__(self, feature_dim: int, num_classes: int, delta_r: float = 1.0) -> None:
        super().__init__(feature_dim, num_classes)
        self.delta_r = delta_r

    def forward(self, inputs: LossInputs) -> LossOutput:
        loss = (stepwise_norm_loss(inputs.f_s, self.delta_r)
                + stepwise_norm_loss(inputs.f_t, self.delta_r))
        return LossOutput(loss, {"norm_t": inputs.f_t.detach().float().norm(dim=1).mean()})
