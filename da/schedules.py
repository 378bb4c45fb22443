"""Weight schedules: pure functions of training progress ``p`` in ``[0, 1]``.

Progress is ``global_step / planned_steps``, so a resumed run sees the same values
as an uninterrupted one. Selected in config with ``_target_``.
"""

from __future__ import annotations

import math

from da.errors import DAError


class Constant:
    """``w(p) = value``."""

    def __init__(self, value: float = 1.0) -> None:
        self.value = value

    def __call__(self, progress: float) -> float:
        return self.value


class DannWarmStart:
    """Ganin & Lempitsky (2015): ``w(p) = hi * (2 / (1 + exp(-gamma p)) - 1)``, from 0 to ~hi."""

    def __init__(self, gamma: float = 10.0, hi: float = 1.0) -> None:
        self.gamma = gamma
        self.hi = hi

    def __call__(self, progress: float) -> float:
        return self.hi * (2.0 / (1.0 + math.exp(-self.gamma * progress)) - 1.0)


class LinearRamp:
    """``w(p) = min(1, p / until)``: linear from 0 to 1 over the first ``until`` of training."""

    def __init__(self, until: float = 0.1) -> None:
        if until <= 0:
            raise DAError(f"LinearRamp.until must be > 0, got {until}")
        self.until = until

    def __call__(self, progress: float) -> float:
        return min(1.0, progress / self.until)
