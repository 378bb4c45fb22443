"""CDAN and CDAN+E: conditional domain-adversarial networks (Long et al., NeurIPS 2018).

The discriminator sees features *conditioned on* the classifier's predictions, through the
multilinear map ``h = f ⊗ g`` (``g = softmax(logits)``, detached as in the authors' code),
flattened to ``D*K`` values, or, when ``D*K`` is large, its randomized version
``h = (R_f f) ⊙ (R_g g) / sqrt(d)`` with fixed Gaussian ``R_f (d, D)``, ``R_g (d, K)``::

    L = sum_i w_i BCE(disc(R_c(h_i)), domain_i) / sum_i w_i

``R_c`` is gradient reversal with the DANN warm-start coefficient (``schedule``), so the
discriminator trains at full strength and the features learn to confuse it. CDAN+E
(``entropy_conditioning``) weights each sample by ``w_i = 1 + exp(-H(g_i))``, normalised
within each domain, to trust confident predictions more; plain CDAN uses ``w_i = 1``.

Shapes: ``f (B, D)``, ``logits (B, K)``. Logs the discriminator accuracy.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from da.errors import DAError
from da.losses.base import DALoss, LossInputs, LossOutput
from da.nets.discriminator import DomainDiscriminator
from da.nets.grl import reverse_gradient
from da.schedules import DannWarmStart


def multilinear(f: Tensor, g: Tensor) -> Tensor:
    """``f ⊗ g`` per sample, flattened: ``(B, D) x (B, K) -> (B, D*K)``."""
    return torch.bmm(g.unsqueeze(2), f.unsqueeze(1)).flatten(1)


def entropy_weights(g: Tensor) -> Tensor:
    """``1 + exp(-H(g_i))``, normalised to sum to 1 over the batch."""
    h = -(g * torch.log(g + 1e-5)).sum(1)
    w = 1.0 + torch.exp(-h)
    return w / w.sum()


class CDANLoss(DALoss):
    """Args:
        hidden: discriminator width; batch_norm/dropout: its layers.
        randomized: ``auto`` (when ``D*K > max_dim``), ``true`` or ``false``.
        randomized_dim: output width ``d`` of the randomized map.
        entropy_conditioning: CDAN+E sample weights.
        schedule: GRL coefficient as a function of progress (default: DANN warm start).
    """

    min_batch_size = 2

    def __init__(self, feature_dim: int, num_classes: int, hidden: int = 1024,
                 batch_norm: bool = True, dropout: float = 0.0, randomized: str | bool = "auto",
                 randomized_dim: int = 1024, max_dim: int = 4096,
                 entropy_conditioning: bool = False, schedule=None) -> None:
        super().__init__(feature_dim, num_classes)
        if randomized not in ("auto", True, False):
            raise DAError(f"method.loss.randomized must be auto, true or false, got {randomized!r}")
        self.randomized = (feature_dim * num_classes > max_dim if randomized == "auto"
                           else bool(randomized))
        width = randomized_dim if self.randomized else feature_dim * num_classes
        if self.randomized:  # fixed, saved with the model so a resumed run keeps them
            g = torch.Generator().manual_seed(0)
            self.register_buffer("r_f", torch.randn(randomized_dim, feature_dim, generator=g))
            self.register_buffer("r_g", torch.randn(randomized_dim, num_classes, generator=g))
        self.discriminator = DomainDiscriminator(width, hidden, batch_norm, dropout)
        self.entropy_conditioning = entropy_conditioning
        self.schedule = schedule if schedule is not None else DannWarmStart()

    def condition(self, f: Tensor, g: Tensor) -> Tensor:
        if self.randomized:
            return (f @ self.r_f.T.to(f)) * (g @ self.r_g.T.to(g)) / math.sqrt(self.r_f.shape[0])
        return multilinear(f, g)

    def forward(self, inputs: LossInputs) -> LossOutput:
        coeff = self.schedule(inputs.progress)
        f = torch.cat([inputs.f_s, inputs.f_t])
        g = torch.cat([inputs.logits_s, inputs.logits_t]).float().softmax(1).detach()
        h = self.condition(reverse_gradient(f, coeff), g.to(f.dtype))
        logits = self.discriminator(h).float()
        n_s, n_t = len(inputs.f_s), len(inputs.f_t)
        labels = torch.cat([torch.ones(n_s), torch.zeros(n_t)]).to(logits)
        per = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
        if self.entropy_conditioning:
            w = torch.cat([entropy_weights(g[:n_s]), entropy_weights(g[n_s:])]) / 2
            loss = (w * per).sum()
        else:
            loss = per.mean()
        with torch.no_grad():
            acc = ((logits > 0).to(labels) == labels).float().mean()
        return LossOutput(loss, {"disc_acc": acc, "grl_coeff": coeff})
