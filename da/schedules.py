"""Weight schedules: pure functions of training progress ``p``.

Progress is a function of ``global_step`` only, so a resumed run sees the same values as
an uninterrupted one (:func:`progress`):

* ``horizon_steps: null`` (default): ``p = global_step / planned_steps`` in ``[0, 1]``: the
  schedule is stretched over the planned run, as in Ganin et al. (JMLR 2016), whose
  ``mu_p`` and ``lambda_p`` are functions of progress over a planned length;
* ``horizon_steps: H``: ``p = global_step / H``, uncapped: the schedule is one of absolute
  iterations, as in TLlib (lr ``(1 + 0.001 i)^-0.75``, GRL ``2 / (1 + exp(-i / 1000)) - 1``
  are ``alpha = 10`` and ``gamma = 10`` over ``H = 10,000``), so a shorter run follows
  exactly the first part of the published schedule and a longer one continues it (``p > 1``).

Selected in config with ``_target_``.
"""

from __future__ import annotations

import math

from da.errors import DAError


def progress(step: int, planned_steps: int, horizon_steps: int | None = None) -> float:
    """``step / horizon_steps`` (uncapped) if a horizon is set, else ``min(step / planned, 1)``."""
    if horizon_steps:
        return step / horizon_steps
    return min(step / max(planned_steps, 1), 1.0)


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
