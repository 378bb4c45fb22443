"""DANN: domain-adversarial training (Ganin et al., JMLR 2016).

A discriminator ``d`` learns to tell source (label 1) from target (label 0) features;
the features receive its gradient reversed through a gradient reversal layer (GRL),
so the feature extractor learns to confuse it::

    L = BCEWithLogits(d(R_c(f_s)), 1) + BCEWithLogits(d(R_c(f_t)), 0)   (mean over both)

``R_c`` is the identity forward and multiplies gradients by ``-c`` backward, with the
warm-start ``c(p) = 2 / (1 + exp(-10 p)) - 1`` (``schedule``). The coefficient sits on
the reversed gradient only, so the discriminator itself always trains at full strength;
the method's outer ``weight``/``schedule`` in config stay at 1 / constant by default.

Shapes: ``f_s (B_s, D)``, ``f_t (B_t, D)``. Logs the discriminator accuracy and ``c``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from da.losses.base import DALoss, LossInputs, LossOutput
from da.nets.discriminator import DomainDiscriminator
from da.nets.grl import reverse_gradient
from da.schedules import DannWarmStart


class DANNLoss(DALoss):
    """Domain-adversarial loss with a built-in MLP discriminator.

    Args:
        hidden: discriminator width.
        batch_norm: BatchNorm in the discriminator.
        dropout: dropout after each hidden layer of the discriminator.
        layers: hidden layers of the discriminator (2 in TLlib, 1 in DANN's MNIST model).
        schedule: GRL coefficient as a function of progress (default: DANN warm start).
    """

    min_batch_size = 2

    def __init__(self, feature_dim: int, num_classes: int, hidden: int = 1024,
                 batch_norm: bool = True, dropout: float = 0.0, schedule=None,
                 layers: int = 2) -> None:
        super().__init__(feature_dim, num_classes)
        self.discriminator = DomainDiscriminator(feature_dim, hidden, batch_norm, dropout, layers)
        self.schedule = schedule if schedule is not None else DannWarmStart()

    def forward(self, inputs: LossInputs) -> LossOutput:
        coeff = self.schedule(inputs.progress)
        f = torch.cat([inputs.f_s, inputs.f_t])
        logits = self.discriminator(reverse_gradient(f, coeff))
        labels = torch.cat([torch.ones(len(inputs.f_s)), torch.zeros(len(inputs.f_t))])
        labels = labels.to(logits)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        with torch.no_grad():
            acc = ((logits > 0).to(labels) == labels).float().mean()
        return LossOutput(loss, {"disc_acc": acc, "grl_coeff": coeff})
