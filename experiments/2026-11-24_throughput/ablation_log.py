"""Scratch study: what ``self.log`` costs per step, and a proposed ``training_step`` that
logs only on the steps Lightning hands to the logger. Not part of the framework.

    PYTHONPATH=. python experiments/2026-11-24_throughput/ablation_log.py --out DIR

1. ``timed``: the real module, with ``LightningModule.log`` and the ``train_acc`` update
   wrapped in ``perf_counter`` timers (a few microseconds of wrapper per call): wall
   milliseconds per step spent inside them, next to the framework step.
2. ``gated``: ``da-bench`` with ``DAModule.training_step`` replaced by the proposed version
   (``PROPOSED`` below; the loss, the non-finite guard and every logged value on logged
   steps are unchanged), interleaved with the plain loop as usual.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
import warnings
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics.classification import MulticlassAccuracy

from da import bench
from da.errors import TrainingFailed
from da.losses.base import LossInputs
from da.module import DAModule


def proposed_training_step(self: DAModule, batch: dict, batch_idx: int) -> Tensor:
    """``DAModule.training_step`` with logging gated on the logger's schedule."""
    x_s, y_s = batch["source"]
    (x_t,) = batch["target"]
    f, logits = self.net(torch.cat([x_s, x_t]))
    n = len(x_s)
    f_s, f_t, logits_s, logits_t = f[:n], f[n:], logits[:n], logits[n:]
    cls_loss = F.cross_entropy(logits_s, y_s)
    total = cls_loss
    parts = {"cls": cls_loss}
    # Lightning sends step metrics to loggers every log_every_n_steps only
    # (LoggerConnector.should_update_logs); logging on the other steps is discarded work.
    log_now = (self.global_step + 1) % self.trainer.log_every_n_steps == 0
    inputs = LossInputs(f_s, f_t, logits_s, logits_t, y_s, self.progress)
    for name, term in self.terms.items():
        out = term.loss(inputs)
        coeff = term.coefficient(inputs.progress)
        total = total + coeff * out.loss
        parts[name] = coeff * out.loss
        if log_now:
            self.log(f"train/{name}/loss", out.loss.detach())
            self.log(f"train/{name}/coeff", coeff)
            for key, value in out.logs.items():
                self.log(f"train/{name}/{key}", value)
    if self.guard_nonfinite and not torch.isfinite(total):
        bad = [k for k, v in parts.items() if not torch.isfinite(v)] or ["total"]
        raise TrainingFailed(f"non-finite loss at step {self.global_step} in {bad}")
    self.log("train/loss", total.detach(), prog_bar=True)  # every step: the progress bar
    if log_now:
        self.train_acc(logits_s.detach(), y_s)
        self.log("train/cls_loss", cls_loss.detach())
        self.log("train/source/acc", self.train_acc, on_step=True, on_epoch=False)
        self.log("train/progress", self.progress)
    return total


class _StepClock(L.Callback):
    def __init__(self, warmup: int) -> None:
        self.warmup, self.steps, self.last = warmup, [], None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        now = time.perf_counter()
        if trainer.global_step > self.warmup:
            self.steps.append(now - self.last)
        self.last = now


def timed(args) -> dict:
    """Milliseconds per step inside ``self.log`` and the accuracy update, real module."""
    spent = {"log": 0.0, "train_acc": 0.0}

    def wrap(owner, attr, key):
        orig = getattr(owner, attr)

        def inner(*a, **k):
            t = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                spent[key] += time.perf_counter() - t
        setattr(owner, attr, inner)
        return orig

    cfg = bench.compose_bench_cfg(args.batch_size)
    data = bench.make_data(args.batch_size, 0)
    L.seed_everything(0, verbose=False)
    module = bench.framework_module(cfg, compile=False)
    orig_log = wrap(L.LightningModule, "log", "log")
    orig_fwd = wrap(MulticlassAccuracy, "forward", "train_acc")
    clock = _StepClock(args.warmup)
    try:
        trainer = bench.trainer_for(cfg, args.warmup + args.steps + 1, "cpu", "32-true", [clock])
        trainer.fit(module, train_dataloaders=bench.make_loader(data, args.batch_size, 0))
    finally:
        L.LightningModule.log, MulticlassAccuracy.forward = orig_log, orig_fwd
    n = args.warmup + args.steps + 1
    return {"step_ms_median": 1e3 * statistics.median(clock.steps),
            **{f"{k}_ms_per_step": 1e3 * v / n for k, v in spent.items()}}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    torch.set_num_threads(2)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    args.out.mkdir(parents=True, exist_ok=True)
    t = timed(argparse.Namespace(steps=args.steps * args.rounds, warmup=args.warmup,
                                 batch_size=args.batch_size))
    print("timed:", json.dumps(t))
    (args.out / "timed.json").write_text(json.dumps(t, indent=1) + "\n")
    DAModule.training_step = proposed_training_step
    bench.main(["--device", "cpu", "--steps", str(args.steps), "--rounds", str(args.rounds),
                "--warmup", str(args.warmup), "--batch-size", str(args.batch_size),
                "--out", str(args.out / "gated")])


if __name__ == "__main__":
    main()
