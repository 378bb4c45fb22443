"""Warn when an adversarial game collapses: the discriminator wins for a long time.

A discriminator accuracy pinned near 1.0 means the features carry no adversarial signal
any more (the reversed gradient saturates), usually from a too-strong discriminator or a
too-high learning rate. Reads every ``train/<term>/disc_acc`` that a loss logs.
"""

from __future__ import annotations

import logging

import lightning as L

log = logging.getLogger("da.train")


class AdversarialCollapse(L.Callback):
    """Warn once per term when ``disc_acc >= threshold`` for ``patience`` consecutive checks.

    Args:
        threshold: accuracy counted as "pinned".
        patience: consecutive training steps (checked every ``every`` steps).
        every: check interval in steps (reading a metric syncs the device).
    """

    def __init__(self, threshold: float = 0.99, patience: int = 200, every: int = 10) -> None:
        self.threshold, self.patience, self.every = threshold, patience, every
        self.pinned: dict[str, int] = {}
        self.warned: set[str] = set()

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        if trainer.global_step % self.every:
            return
        for key, value in trainer.callback_metrics.items():
            if not key.endswith("/disc_acc"):
                continue
            streak = self.pinned.get(key, 0) + self.every if float(value) >= self.threshold else 0
            self.pinned[key] = streak
            if streak >= self.patience and key not in self.warned:
                self.warned.add(key)
                log.warning("%s has stayed >= %.2f for %d steps (step %d): the adversarial game "
                            "has collapsed; lower the learning rate or the discriminator's size, "
                            "or raise its dropout", key, self.threshold, streak,
                            trainer.global_step)
