"""Bottleneck and classifier heads, and the ``backbone -> bottleneck -> classifier`` network."""

from __future__ import annotations

import torch
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


class Classifier(nn.Sequential):
    """A label predictor with hidden layers: ``Linear -> ReLU`` per hidden width, then
    ``Linear`` to the classes (``hidden=(100, 100)`` is DANN's MNIST label predictor; MDD's
    TLlib head is ``hidden=(1024,), dropout=0.5``)."""

    def __init__(self, in_features: int, num_classes: int, hidden: tuple[int, ...] = (),
                 dropout: float = 0.0) -> None:
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        super().__init__(*layers, nn.Linear(width, num_classes))
        self.in_features, self.out_features = in_features, num_classes

    def reset_parameters(self) -> None:
        for m in self:
            if isinstance(m, nn.Linear):
                m.reset_parameters()


class DANetwork(nn.Module):
    """``backbone -> (bottleneck) -> classifier``; returns ``(features, logits)``.

    The features (bottleneck output, or backbone output when ``bottleneck_dim`` is
    ``None``) are what adaptation losses align; ``head_hidden`` puts hidden layers in the
    classifier (after the aligned features, as DANN's label predictor); ``dropout`` follows
    the bottleneck and each hidden layer of the classifier. ``channels_last`` runs the
    network in NHWC layout (inputs converted on the way in).
    """

    def __init__(self, backbone: nn.Module, num_classes: int,
                 bottleneck_dim: int | None = 256, bottleneck_bn: bool = True,
                 head_hidden: tuple[int, ...] = (), dropout: float = 0.0,
                 channels_last: bool = False) -> None:
        super().__init__()
        self.backbone = backbone
        width = backbone.out_features
        if bottleneck_dim:
            self.bottleneck: nn.Module = Bottleneck(width, bottleneck_dim, bottleneck_bn, dropout)
            width = bottleneck_dim
        else:
            self.bottleneck = nn.Identity()
        self.feature_dim = width
        # a plain Linear without hidden layers keeps the checkpoint keys (classifier.weight)
        self.classifier: nn.Module = (
            Classifier(width, num_classes, tuple(map(int, head_hidden)), dropout)
            if head_hidden else nn.Linear(width, num_classes))
        self.frozen: list[nn.Module] = []  # set by da.nets.finetune: kept in eval mode
        # NHWC convolutions: 1.3-1.8x faster LeNet steps on CPU (oneDNN), same results up to
        # float rounding; applies to 4-D image inputs only
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def train(self, mode: bool = True) -> DANetwork:
        super().train(mode)
        for m in self.frozen:  # frozen parts keep their BatchNorm statistics and no dropout
            m.eval()
        return self

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        f = self.bottleneck(self.backbone(x))
        return f, self.classifier(f)
