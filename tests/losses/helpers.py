"""Builders of ``LossInputs`` for loss unit tests."""

from __future__ import annotations

import torch

from da.losses.base import LossInputs


def make_inputs(f_s, f_t, num_classes: int = 3, progress: float = 1.0, seed: int = 0,
                requires_grad: bool = False) -> LossInputs:
    g = torch.Generator().manual_seed(seed)
    f_s = f_s.clone().requires_grad_(requires_grad)
    f_t = f_t.clone().requires_grad_(requires_grad)
    logits_s = torch.randn(len(f_s), num_classes, generator=g)
    logits_t = torch.randn(len(f_t), num_classes, generator=g)
    y_s = torch.randint(0, num_classes, (len(f_s),), generator=g)
    return LossInputs(f_s, f_t, logits_s, logits_t, y_s, progress)
