"""Bottleneck and classifier heads, and the ``backbone -> bottleneck -> classifier`` network."""

from __future__ import annotations

from torch import Tensor, nn


class Bottleneck(nn.Sequential):
    """``Linear -> BatchNorm -> ReLU`` (DAN/CDAN style) producing the aligned features."""

    def __init__(self, in_features: int, out_features: int, batch_norm: bool = True,
                 dropout: float = 0.0) -> None:
        layers: list[nn.Module] = [nn.Linear(in_features, out_features)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(out_features))
        layers.append(nn.ReLU(inplace=True))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.out_features = out_features


class DANetwork(nn.Module):
    """``backbone -> (bottleneck) -> classifier``; returns ``(features, logits)``.

    The features (bottleneck output, or backbone output when ``bottleneck_dim`` is
    ``None``) are what adaptation losses align.
    """

    def __init__(self, backbone: nn.Module, num_classes: int,
                 bottleneck_dim: int | None = 256, bottleneck_bn: bool = True) -> None:
        super().__init__()
        self.backbone = backbone
        width = backbone.out_features
        if bottleneck_dim:
            self.bottleneck: nn.Module = Bottleneck(width, bottleneck_dim, bottleneck_bn)
            width = bottleneck_dim
        else:
            self.bottleneck = nn.Identity()
        self.feature_dim = width
        self.classifier = nn.Linear(width, num_classes)
        self.frozen: list[nn.Module] = []  # set by da.nets.finetune: kept in eval mode

    def train(self, mode: bool = True) -> DANetwork:
        super().train(mode)
        for m in self.frozen:  # frozen parts keep their BatchNorm statistics and no dropout
            m.eval()
        return self

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f = self.bottleneck(self.backbone(x))
        return f, self.classifier(f)
