"""Backbones: feature extractors exposing ``out_features``.

Every backbone takes the dataset's ``input_shape`` (``(C, H, W)`` or ``(D,)``) so one
YAML works across datasets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from da.errors import DAError


def _image_shape(input_shape: Sequence[int], name: str) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise DAError(f"backbone={name} needs image inputs (C, H, W) but the dataset gives "
                      f"{tuple(input_shape)}; use backbone=mlp for feature vectors")
    c, h, w = input_shape
    return int(c), int(h), int(w)


class Features(nn.Identity):
    """An identity that says its width: the backbone of a network whose inputs are already
    features (a frozen backbone's cached outputs, :mod:`da.features.frozen`)."""

    def __init__(self, out_features: int) -> None:
        super().__init__()
        self.out_features = out_features


class MLP(nn.Module):
    """Flatten, then ``Linear -> ReLU (-> Dropout)`` per hidden width."""

    def __init__(self, input_shape: Sequence[int], hidden: Sequence[int] = (256, 256),
                 dropout: float = 0.0) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(input_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        self.net = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    """Two ``conv3x3-BN-ReLU-maxpool`` blocks and a dense layer, for small images (8-32 px)."""

    def __init__(self, input_shape: Sequence[int], channels: Sequence[int] = (32, 64),
                 out_features: int = 256, dropout: float = 0.0) -> None:
        super().__init__()
        c, h, w = _image_shape(input_shape, "small_cnn")
        blocks: list[nn.Module] = []
        for ch in channels:
            blocks += [nn.Conv2d(c, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            c, h, w = ch, h // 2, w // 2
        self.conv = nn.Sequential(*blocks)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, out_features),
                                nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.out_features = out_features

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.conv(x))


class LeNet(nn.Module):
    """LeNet as in the digits benchmarks (TLlib): ``conv5-pool-conv5-dropout-pool``, 28x28 input."""

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), out_features: int = 500) -> None:
        super().__init__()
        c, h, w = _image_shape(input_shape, "lenet")
        if min(h, w) < 16:
            raise DAError(f"backbone=lenet needs images of at least 16x16, got {h}x{w}")
        self.conv = nn.Sequential(
            nn.Conv2d(c, 20, 5), nn.MaxPool2d(2), nn.ReLU(inplace=True),
            nn.Conv2d(20, 50, 5), nn.Dropout2d(0.5), nn.MaxPool2d(2), nn.ReLU(inplace=True),
        )
        hh, ww = ((h - 4) // 2 - 4) // 2, ((w - 4) // 2 - 4) // 2
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(50 * hh * ww, out_features),
                                nn.ReLU(inplace=True), nn.Dropout(0.5))
        self.out_features = out_features

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.conv(x))
