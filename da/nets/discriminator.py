"""Domain discriminator: an MLP giving one logit per sample (source = 1, target = 0)."""

from __future__ import annotations

from torch import Tensor, nn


class DomainDiscriminator(nn.Sequential):
    """``D -> hidden (x layers) -> 1`` with ReLU (and BatchNorm, as in TLlib, by default).

    ``layers=2, hidden=1024`` is TLlib's; ``layers=1, hidden=100`` DANN's MNIST domain
    classifier (Ganin et al., JMLR 2016).

    Returns raw logits ``(B,)``: pair with ``BCEWithLogits``, which stays stable under
    mixed precision (sigmoid + BCE does not).
    """

    def __init__(self, in_features: int, hidden: int = 1024, batch_norm: bool = True,
                 dropout: float = 0.0, layers: int = 2) -> None:
        modules: list[nn.Module] = []
        width = in_features
        for _ in range(layers):
            modules.append(nn.Linear(width, hidden))
            if batch_norm:
                modules.append(nn.BatchNorm1d(hidden))
            modules.append(nn.ReLU(inplace=True))
            if dropout > 0:
                modules.append(nn.Dropout(dropout))
            width = hidden
        modules.append(nn.Linear(width, 1))
        super().__init__(*modules)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x).squeeze(-1)
