"""Weight initialisation of a run's network and loss-term modules (``model.init``).

``torch`` keeps PyTorch's defaults. ``trunc_normal`` draws every ``Conv``/``Linear`` weight
from a normal of standard deviation ``std`` truncated at two deviations and sets every bias
to ``bias``: TensorFlow's ``truncated_normal(stddev=0.1)`` / ``constant(0.1)``, the
initialisation of the widely used TensorFlow replication of DANN's MNIST experiments.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from da.errors import DAError

INITS = ("torch", "trunc_normal")


@torch.no_grad()
def initialise(modules: Iterable[nn.Module], scheme: str = "torch", std: float = 0.1,
               bias: float = 0.1) -> int:
    """Initialise every conv / linear layer under ``modules``; returns how many were set."""
    if scheme not in INITS:
        raise DAError(f"model.init={scheme!r} is unknown; choose from {', '.join(INITS)}")
    if scheme == "torch":
        return 0
    if std <= 0:
        raise DAError(f"model.init_std must be > 0, got {std}")
    count = 0
    for root in modules:
        for m in root.modules():
            if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear):
                nn.init.trunc_normal_(m.weight, std=std, a=-2 * std, b=2 * std)
                if m.bias is not None:
                    nn.init.constant_(m.bias, bias)
                count += 1
    return count
