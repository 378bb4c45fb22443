"""Domain discriminator: an MLP giving one logit per sample (source = 1, target = 0)."""

from __future__ import annotations

from torch import Tensor, nn


class DomainDiscriminator(nn.Sequential):
    """``D -> hidden -> hidden -> 1`` with ReLU (and BatchNorm, as in TLlib, by default).

    Returns raw logits ``(B,)``: pair with ``BCEWithLogits``, which stays stable under
    mixed precision (sigmoid + BCE does not).
    """

    def __init__(self, in_features: int, hidden: int = 1024, batch_norm: bool = True,
                 dropout: float = 0.0) -> None:
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(2):
            layers.append(nn.Linear(width, hidden))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.ReLU(inplace=True))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(width, 1))
        super().__init__(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x).squeeze(-1)
