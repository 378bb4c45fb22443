"""Test helper: a callback that signals its own process at a given training step."""

from __future__ import annotations

import os
import signal

import lightning as L


class SignalAt(L.Callback):
    def __init__(self, step: int, signum: int = int(signal.SIGKILL)) -> None:
        self.step, self.signum = step, signum

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


class FailFor(L.Callback):
    """Raise at ``step`` in the one job whose method and seed match (a job made to fail)."""

    def __init__(self, method: str, seed: int, fail_method: str, fail_seed: int,
                 step: int = 5) -> None:
        self.fail = method == fail_method and int(seed) == int(fail_seed)
        self.step = step

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        if self.fail and trainer.global_step == self.step:
            raise RuntimeError("injected failure for the report test")
