"""Keeps every validation's metrics, so selection can be judged after the fact."""

from __future__ import annotations

import lightning as L


class MetricHistory(L.Callback):
    """Appends ``{"step": global_step, "val/...": value}`` after each validation run.

    Also keeps the latest training value of every adversarial method's discriminator
    accuracy (``train/<term>/disc_acc``), so the report can draw its curve.
    """

    def __init__(self) -> None:
        self.history: list[dict[str, float]] = []

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        row = {"step": trainer.global_step}
        row.update({k: float(v) for k, v in trainer.callback_metrics.items()
                    if k.startswith("val/") or (k.startswith("train/")
                                                and k.endswith("/disc_acc"))})
        self.history.append(row)

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = list(state_dict.get("history", []))
