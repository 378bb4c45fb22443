"""Transfer-learning strategies: which parts of the network train (``finetune=``).

* ``full``: everything trains; the backbone at ``optim.backbone_lr_mult`` times the rate.
* ``frozen``: the backbone (and the bottleneck with ``freeze_bottleneck``) is fixed —
  feature extraction / a linear probe on top of it. Frozen parameters get
  ``requires_grad=False``, leave the optimizer, and their modules stay in eval mode, so
  BatchNorm statistics and dropout are those of the pretrained network.
* ``partial``: only the last ``blocks`` blocks of the backbone train.
* ``freeze_bn`` (any mode): the backbone's BatchNorm layers stay in eval mode, so they
  normalise with the pretrained running statistics and never update them, while their
  affine parameters still train where their block does — DomainBed's ResNet protocol
  (``networks.ResNet.freeze_bn``, Gulrajani & Lopez-Paz, ICLR 2021). Without it a fine-tuned
  backbone's statistics drift to the source batches'.

A *block* is what :func:`backbone_blocks` returns: ``backbone.blocks()`` when the
backbone defines it (e.g. a ResNet's stages), otherwise each weight layer (convolution
or linear) together with the normalisation layers that follow it, in forward order.
"""

from __future__ import annotations

from torch import nn

from da.errors import DAError

_WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_NORM_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm)


def backbone_blocks(backbone: nn.Module) -> list[list[nn.Module]]:
    """The backbone's blocks in forward (registration) order."""
    if hasattr(backbone, "blocks"):
        return [[b] for b in backbone.blocks()]
    blocks: list[list[nn.Module]] = []
    for m in backbone.modules():
        if isinstance(m, _WEIGHT_LAYERS):
            blocks.append([m])
        elif isinstance(m, _NORM_LAYERS) and blocks:
            blocks[-1].append(m)
    return blocks


def freeze(module: nn.Module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)


def apply_finetune(net: nn.Module, mode: str = "full", blocks: int = 1,
                   freeze_bottleneck: bool = False, freeze_bn: bool = False) -> list[nn.Module]:
    """Freeze what ``mode`` says; returns the modules the net keeps in eval mode (the frozen
    ones, and with ``freeze_bn`` the backbone's BatchNorm layers)."""
    bn = [m for m in net.backbone.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
          ] if freeze_bn else []
    if mode == "full":
        return bn
    if mode not in ("frozen", "partial"):
        raise DAError(f"finetune.mode={mode!r} is unknown; use full, partial or frozen")
    frozen: list[nn.Module] = []
    if mode == "frozen":
        frozen.append(net.backbone)
    else:
        groups = backbone_blocks(net.backbone)
        if not 1 <= blocks <= len(groups):
            raise DAError(f"finetune.blocks={blocks} but the backbone has {len(groups)} "
                          f"block(s); choose 1..{len(groups)} (or finetune=full)")
        frozen += [m for group in groups[:-blocks] for m in group]
    if freeze_bottleneck:
        frozen.append(net.bottleneck)
    for m in frozen:
        freeze(m)
    return frozen + bn
