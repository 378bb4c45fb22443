"""Gradient reversal layer (Ganin & Lempitsky, ICML 2015).

Forward is the identity; backward multiplies the incoming gradient by ``-coeff``.
The coefficient is passed in per call (computed from training progress), so no
step counter hides inside the module.
"""

from __future__ import annotations

import torch
from torch import Tensor


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, coeff: float) -> Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        return -ctx.coeff * grad, None


def reverse_gradient(x: Tensor, coeff: float = 1.0) -> Tensor:
    """Identity on ``x`` whose gradient is ``-coeff`` times the incoming one."""
    return _ReverseGrad.apply(x, float(coeff))
