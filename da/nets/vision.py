"""Backbones for the image benchmarks: DANN's MNIST CNN, DTN and torchvision ResNets.

Like :mod:`da.nets.backbones`, each takes the dataset's ``input_shape`` ``(C, H, W)`` and
exposes ``out_features``; the classifier of the original network is not part of it (the
bottleneck and classifier of :class:`~da.nets.heads.DANetwork` follow).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from da.errors import DAError
from da.nets.backbones import _image_shape


class DANNMnist(nn.Module):
    """The MNIST feature extractor of DANN (Ganin et al., JMLR 2016, Sec. 5.2.2).

    ``conv5x5(32) -> ReLU -> maxpool2 -> conv5x5(48) -> ReLU -> maxpool2 -> flatten``:
    ``48 * 4 * 4 = 768`` features for 28x28 inputs, ``48 * 5 * 5 = 1200`` for 32x32. The
    paper's label predictor (100-100-10) is ``model.bottleneck_dim=null
    model.head_hidden=[100,100]`` (recipe ``ganin_mnist_mnistm``). ``padding=2`` keeps the
    size through each convolution (TensorFlow's ``SAME``, as the widely used TF replication
    has it): ``48 * 7 * 7 = 2352`` features at 28x28.
    """

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), padding: int = 0) -> None:
        super().__init__()
        c, h, w = _image_shape(input_shape, "dann_mnist")
        if min(h, w) < 16:
            raise DAError(f"backbone=dann_mnist needs images of at least 16x16, got {h}x{w}")
        if padding not in (0, 1, 2):
            raise DAError(f"backbone.padding must be 0 (valid), 1 or 2 (same), got {padding}")
        self.conv = nn.Sequential(
            nn.Conv2d(c, 32, 5, padding=padding), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(32, 48, 5, padding=padding), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        shrink = 4 - 2 * padding
        hh, ww = ((h - shrink) // 2 - shrink) // 2, ((w - shrink) // 2 - shrink) // 2
        self.out_features = 48 * hh * ww

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class DTN(nn.Module):
    """The SVHN->MNIST network of CyCADA / TLlib ("DTN"), 32x32 RGB input.

    Three ``conv5x5 stride 2 -> BN -> Dropout2d -> ReLU`` blocks (64, 128, 256 channels,
    dropout 0.1 / 0.3 / 0.5), then ``Linear(256*4*4, 512) -> BN -> ReLU -> Dropout(0.5)``:
    512 features.
    """

    def __init__(self, input_shape: Sequence[int] = (3, 32, 32), out_features: int = 512) -> None:
        super().__init__()
        c, h, w = _image_shape(input_shape, "dtn")
        blocks: list[nn.Module] = []
        for ch, p in ((64, 0.1), (128, 0.3), (256, 0.5)):
            blocks += [nn.Conv2d(c, ch, 5, stride=2, padding=2), nn.BatchNorm2d(ch),
                       nn.Dropout2d(p), nn.ReLU(inplace=True)]
            c, h, w = ch, (h - 1) // 2 + 1, (w - 1) // 2 + 1
        self.conv = nn.Sequential(*blocks)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, out_features),
                                nn.BatchNorm1d(out_features), nn.ReLU(inplace=True),
                                nn.Dropout(0.5))
        self.out_features = out_features

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.conv(x))


_RESNETS = {"resnet18": 512, "resnet34": 512, "resnet50": 2048, "resnet101": 2048}


class ResNet(nn.Module):
    """A torchvision ResNet without its classifier: global-average-pooled features of the
    last stage (512 for ResNet-18/34, 2048 for ResNet-50/101).

    Args:
        input_shape: ``(C, H, W)``; ``C = 1`` sums ``conv1`` over its RGB filters, so grey
            images see the pretrained filters on their luminance.
        arch: ``resnet18``, ``resnet34``, ``resnet50`` or ``resnet101``.
        weights: ``imagenet`` (torchvision's ``IMAGENET1K_V1``, the weights of the published
            DA tables; downloaded once into ``$TORCH_HOME``), a path to a saved state dict of
            the same torchvision architecture (``fc.*`` keys are ignored), or ``None``
            (random initialisation).
    """

    def __init__(self, input_shape: Sequence[int] = (3, 224, 224), arch: str = "resnet50",
                 weights: str | None = None) -> None:
        super().__init__()
        from torchvision import models

        c, _, _ = _image_shape(input_shape, arch)
        if arch not in _RESNETS:
            raise DAError(f"backbone.arch={arch!r} is not a ResNet; choose one of "
                          f"{', '.join(_RESNETS)}")
        if c not in (1, 3):
            raise DAError(f"backbone={arch} takes 1- or 3-channel images, got {c} channels")
        net = getattr(models, arch)(weights=None)
        net.fc = nn.Identity()
        if weights:
            load_resnet_weights(net, arch, str(weights))
        if c == 1:
            rgb = net.conv1.weight.detach()
            net.conv1 = nn.Conv2d(1, rgb.shape[0], 7, stride=2, padding=3, bias=False)
            net.conv1.weight.data.copy_(rgb.sum(1, keepdim=True))
        self.net = net
        self.out_features = _RESNETS[arch]

    def blocks(self) -> list[nn.Module]:
        """The stem and the four stages, in forward order (units of partial fine-tuning)."""
        n = self.net
        return [nn.ModuleList([n.conv1, n.bn1]), n.layer1, n.layer2, n.layer3, n.layer4]

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def load_resnet_weights(net: nn.Module, arch: str, weights: str) -> None:
    """Fill the classifier-less torchvision ``net`` from ``weights``; see :class:`ResNet`."""
    if weights == "imagenet":
        from torchvision import models

        enum = getattr(models, f"ResNet{arch[6:]}_Weights").IMAGENET1K_V1
        try:
            state = enum.get_state_dict(progress=False)
        except Exception as err:  # noqa: BLE001 - no network, proxy, truncated download
            raise DAError(f"backbone.weights=imagenet: cannot download {enum.url} ({err}); fetch "
                          "it where there is network and pass backbone.weights=<that file>, or "
                          "put it in $TORCH_HOME/hub/checkpoints/") from None
    else:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise DAError(f"backbone.weights={weights}: no such file; give imagenet, a saved "
                          f"torchvision {arch} state dict, or null")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file here
            raise DAError(f"backbone.weights={path}: cannot be read as a torch state dict "
                          f"({type(err).__name__})") from None
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
            raise DAError(f"backbone.weights={path}: holds no state dict of tensors; save one "
                          f"with torch.save(torchvision.models.{arch}().state_dict(), path)")
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    own = net.state_dict()
    missing, unknown = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    bad = [k for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unknown or bad:
        what = (f"{len(missing)} missing key(s) (first: {missing[0]})" if missing else
                f"{len(unknown)} unexpected key(s) (first: {unknown[0]})" if unknown else
                f"{bad[0]} has shape {tuple(state[bad[0]].shape)}, expected "
                f"{tuple(own[bad[0]].shape)}")
        raise DAError(f"backbone.weights={weights} does not fit torchvision {arch}: {what}; "
                      f"is it a {arch} state dict?")
    net.load_state_dict(state)
