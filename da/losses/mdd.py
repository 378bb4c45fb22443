"""MDD: margin disparity discrepancy (Zhang et al., ICML 2019).

An adversarial head ``h'`` (owned by the loss) sees the features through gradient
reversal and learns to agree with the main classifier ``h`` on the source while
*disagreeing* with it on the target; the features, receiving the reversed gradient, learn
to leave it no room to. With ``y_s' = argmax h(f_s)``, ``y_t' = argmax h(f_t)`` (no
gradient) and margin ``gamma`` (TLlib's "classification MDD" form)::

    L = gamma * CE(h'(R_c(f_s)), y_s') - log(1 - softmax(h'(R_c(f_t)))[y_t'])

``h'`` minimises ``L``; through ``R_c`` the features maximise it.

``R_c`` reverses gradients with the DANN warm-start coefficient (``schedule``); the outer
weight (1 in the paper's code as ``trade_off``) stays constant. Shapes: ``f (B, D)``,
``logits (B, K)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from da.losses.base import DALoss, LossInputs, LossOutput
from da.nets.grl import reverse_gradient
from da.schedules import DannWarmStart


def mdd_objective(adv_s: Tensor, adv_t: Tensor, y_s: Tensor, y_t: Tensor,
                  margin: float) -> Tensor:
    """``margin * CE(adv_s, y_s) - mean log(1 - p_adv_t[y_t])`` (float32, clamped)."""
    src = F.cross_entropy(adv_s.float(), y_s)
    p_t = adv_t.float().softmax(1).gather(1, y_t[:, None]).squeeze(1)
    tgt = -torch.log((1.0 - p_t).clamp_min(1e-6)).mean()
    return margin * src + tgt


class MDDLoss(DALoss):
    def __init__(self, feature_dim: int, num_classes: int, margin: float = 4.0,
                 hidden: int = 1024, dropout: float = 0.5, schedule=None) -> None:
        super().__init__(feature_dim, num_classes)
        self.margin = margin
        self.adversary = nn.Sequential(nn.Linear(feature_dim, hidden), nn.ReLU(inplace=True),
                                       nn.Dropout(dropout), nn.Linear(hidden, num_classes))
        self.schedule = schedule if schedule is not None else DannWarmStart(gamma=10.0, hi=0.1)

    def forward(self, inputs: LossInputs) -> LossOutput:
        coeff = self.schedule(inputs.progress)
        f = reverse_gradient(torch.cat([inputs.f_s, inputs.f_t]), coeff)
        adv = self.adversary(f)
        n = len(inputs.f_s)
        y_s = inputs.logits_s.detach().argmax(1)
        y_t = inputs.logits_t.detach().argmax(1)
        loss = mdd_objective(adv[:n], adv[n:], y_s, y_t, self.margin)
        return LossOutput(loss, {"mdd": loss.detach(), "grl_coeff": coeff})
