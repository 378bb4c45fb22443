"""Weight initialisation of a run's network and loss-term modules (``model.init``).

``torch`` keeps PyTorch's defaults. ``trunc_normal`` draws every ``Conv``/``Linear`` weight
from a normal of standard deviation ``std`` truncated at two deviations and sets every bias
to ``bias``: TensorFlow's ``truncated_normal(stddev=0.1)`` / ``constant(0.1)``, the
initialisation of the widely used TensorFlow replication of DANN's MNIST experiments.
``normal`` draws them from an untruncated normal (Caffe's ``gaussian`` filler, and TLlib's
``weight.data.normal_(0, std)`` / ``bias.data.fill_(b)`` for MDD's bottleneck and heads).

``model.init_parts`` sets one part of the network differently (``backbone``, ``bottleneck``,
``classifier``, or ``terms``: the method's own modules such as MDD's adversarial head), after
the whole-network ``model.init``: ``{bottleneck: {init: normal, std: 0.005, bias: 0.1}}``
(defaults: ``init`` normal, ``std`` 0.01, ``bias`` 0). ``init: torch`` in a part draws that
part's layers again with PyTorch's defaults (``reset_parameters``), so it undoes a
whole-network ``trunc_normal`` there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import nn

from da.errors import DAError

INITS = ("torch", "trunc_normal", "normal")
PARTS = ("backbone", "bottleneck", "classifier", "terms")


def _layers(modules: Iterable[nn.Module]) -> list[nn.Module]:
    """The conv / linear layers under ``modules`` (what every scheme here sets)."""
    return [m for root in modules for m in root.modules()
            if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear)]


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
    layers = _layers(modules)
    for m in layers:
        if scheme == "normal":
            nn.init.normal_(m.weight, std=std)
        else:
            nn.init.trunc_normal_(m.weight, std=std, a=-2 * std, b=2 * std)
        if m.bias is not None:
            nn.init.constant_(m.bias, bias)
    return len(layers)


def parse_parts(parts: Mapping | None) -> dict[str, tuple[str, float, float]]:
    """``model.init_parts`` -> ``{part: (scheme, std, bias)}``, checked (one-line errors)."""
    out: dict[str, tuple[str, float, float]] = {}
    for part, spec in (parts or {}).items():
        if part not in PARTS:
            raise DAError(f"model.init_parts.{part} is unknown; parts are {', '.join(PARTS)}")
        if not isinstance(spec, Mapping):
            raise DAError(f"model.init_parts.{part} must be a mapping like "
                          "{init: normal, std: 0.01, bias: 0.0}")
        extra = set(spec) - {"init", "std", "bias"}
        if extra:
            raise DAError(f"model.init_parts.{part}.{sorted(extra)[0]} is unknown; "
                          "use init, std and bias")
        scheme = str(spec.get("init", "normal"))
        if scheme not in INITS:
            raise DAError(f"model.init_parts.{part}.init={scheme!r} is unknown; "
                          f"choose from {', '.join(INITS)}")
        try:
            std, bias = float(spec.get("std", 0.01)), float(spec.get("bias", 0.0))
        except (TypeError, ValueError):
            raise DAError(f"model.init_parts.{part}: std and bias must be numbers, got "
                          f"std={spec.get('std')!r} bias={spec.get('bias')!r}") from None
        out[part] = (scheme, std, bias)
    return out


def initialise_part(modules: Iterable[nn.Module], scheme: str, std: float, bias: float) -> int:
    """One ``model.init_parts`` entry: like :func:`initialise`, but ``torch`` redraws the
    layers with PyTorch's defaults instead of leaving them as they are."""
    if scheme != "torch":
        return initialise(modules, scheme, std, bias)
    layers = _layers(modules)
    for m in layers:
        m.reset_parameters()
    return len(layers)
