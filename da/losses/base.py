"""The loss-plugin contract.

A method is a :class:`DALoss`: an ``nn.Module`` built with the feature width and the
class count (plus its own hyperparameters from ``conf/method/<name>.yaml``), called
once per training step with a :class:`LossInputs` and returning a :class:`LossOutput`.
``DAModule`` adds ``weight * schedule(progress) * output.loss`` to the source
cross-entropy and logs ``output.logs`` under ``train/<method>/<key>``.

Any parameters a loss owns (a domain discriminator, say) are trained by the same
optimizer as the network; adversarial losses reverse gradients themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class LossInputs:
    """What a loss receives each training step.

    Shapes: ``B_s`` source and ``B_t`` target samples, ``D`` feature width, ``K`` classes.

    Attributes:
        f_s: source features ``(B_s, D)`` (output of the bottleneck).
        f_t: target features ``(B_t, D)``.
        logits_s: source logits ``(B_s, K)``.
        logits_t: target logits ``(B_t, K)``.
        y_s: source labels ``(B_s,)``, int64.
        progress: fraction of planned training done, in ``[0, 1]``, derived from
            ``global_step`` so that resuming gives the same value.
        x_s: the raw source inputs (for losses that run a network of their own on them,
            such as a distillation teacher); ``None`` where the caller has none.
        x_t: the raw target inputs, likewise.
    """

    f_s: Tensor
    f_t: Tensor
    logits_s: Tensor
    logits_t: Tensor
    y_s: Tensor
    progress: float
    x_s: Tensor | None = None
    x_t: Tensor | None = None


@dataclass
class LossOutput:
    """What a loss returns.

    Attributes:
        loss: the scalar to minimise.
        logs: optional values to log under ``train/<term>/<key>``.
        source_weights: optional per-sample weights ``(B_s,)`` for the source
            cross-entropy (instance weighting); ``DAModule`` detaches them and uses
            ``mean(w_i * CE_i)``. When several terms return weights they are multiplied.
    """

    loss: Tensor
    logs: dict[str, Tensor | float] = field(default_factory=dict)
    source_weights: Tensor | None = None


class DALoss(nn.Module):
    """Base class of every adaptation loss.

    Args:
        feature_dim: width ``D`` of the features the loss receives.
        num_classes: number of classes ``K``.

    Subclasses implement :meth:`forward`. ``min_batch_size`` tells config validation
    the smallest per-domain batch the loss is defined for; ``needs_target = False`` lets the
    module skip the target forward pass (plain ERM).
    """

    min_batch_size: int = 1
    needs_target: bool = True

    def __init__(self, feature_dim: int, num_classes: int) -> None:
        super().__init__()
        self.feature_dim = feature_dim
        self.num_classes = num_classes

    def forward(self, inputs: LossInputs) -> LossOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def zero(like: Tensor) -> Tensor:
        """A zero that keeps the graph's device and dtype."""
        return torch.zeros((), device=like.device, dtype=like.dtype)
