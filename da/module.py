"""``DAModule``: the one training system.

``loss = CE(source) + sum_terms weight * schedule(progress) * term(LossInputs)``, with
``progress = global_step / planned_steps`` (the plan is read once per fit, from
``trainer.estimated_stepping_batches``) or ``global_step / horizon_steps`` when a horizon
in iterations is set (:func:`da.schedules.progress`), so every schedule, the learning-rate
annealing included, is a function of the step and a resumed run matches an uninterrupted one.

Metrics are torchmetrics objects, one per stage x domain, logged as objects so they
sync across processes by themselves: ``train/source/acc``, ``val/source/{acc,f1,loss}``,
``val/target/{acc,f1}_oracle`` (target labels: the oracle, never the default selection
signal), ``test/{source,target}/{acc,f1}``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import partial
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from da.errors import TrainingFailed
from da.losses.base import DALoss, LossInputs
from da.nets.heads import DANetwork
from da.schedules import Constant, progress
from da.selection import validators as V

_DOMAINS = ("source", "target")


@dataclass
class LossTerm:
    """One adaptation term: ``weight * schedule(progress) * loss``."""

    loss: DALoss
    weight: float = 1.0
    schedule: Any = None

    def coefficient(self, progress: float) -> float:
        return self.weight * (self.schedule or Constant())(progress)


class InverseDecay:
    """DANN learning-rate annealing ``(1 + alpha p)^-beta`` (a factor on the initial lr).

    ``p = min(step / total_steps, 1)``, or ``step / horizon_steps`` (uncapped) when a horizon
    is given: TLlib's ``(1 + 0.001 i)^-0.75`` is ``alpha = 10`` over ``horizon_steps = 10,000``.
    ``warmup > 0`` multiplies it by a linear ramp ``min((step + 1) / (warmup * total_steps), 1)``
    (the warm-up transformer fine-tuning expects; ``alpha = 0`` then keeps the rate after it).
    """

    def __init__(self, total_steps: int, alpha: float = 10.0, beta: float = 0.75,
                 horizon_steps: int | None = None, warmup: float = 0.0) -> None:
        self.total_steps, self.alpha, self.beta = max(total_steps, 1), alpha, beta
        self.horizon_steps, self.warmup = horizon_steps, float(warmup)

    def __call__(self, step: int) -> float:
        p = progress(step, self.total_steps, self.horizon_steps)
        # ``warmup``: a linear ramp from 0 over that share of p (transformer fine-tuning)
        ramp = min((step + 1) / (self.warmup * self.total_steps), 1.0) if self.warmup else 1.0
        return ramp * (1.0 + self.alpha * p) ** -self.beta


def _metrics(num_classes: int, prefix: str, suffix: str = "") -> MetricCollection:
    return MetricCollection(
        {"acc": MulticlassAccuracy(num_classes, average="micro"),
         "f1": MulticlassF1Score(num_classes, average="macro")},
        prefix=prefix, postfix=suffix)


class DAModule(L.LightningModule):
    """Source cross-entropy plus adaptation terms, one optimizer.

    Args:
        net: ``backbone -> bottleneck -> classifier`` returning ``(features, logits)``.
        terms: name -> :class:`LossTerm`; their parameters join the optimizer.
        optimizer: a partial optimizer taking parameter groups (Hydra ``_partial_``).
        backbone_lr_mult: learning-rate multiplier of the backbone (0.1 for pretrained).
        lr_anneal: DANN annealing ``lr / (1 + alpha p)^beta`` per step; ``None`` keeps lr fixed.
        guard_nonfinite: stop with :class:`TrainingFailed` naming the step and the loss term
            when a loss is NaN or infinite (one host sync per step on GPUs).
        validators: label-free scores logged as ``val/select/<name>`` at every validation
            (see :mod:`da.selection.validators`).
        horizon_steps: schedules (loss terms' and ``lr_anneal``'s) in absolute iterations,
            ``p = global_step / horizon_steps``; ``None``: over the planned run.
    """

    def __init__(self, net: DANetwork, terms: dict[str, LossTerm], optimizer: partial,
                 backbone_lr_mult: float = 1.0, lr_anneal: dict | None = None,
                 guard_nonfinite: bool = True,
                 validators: tuple[str, ...] = V.LOGGED,
                 horizon_steps: int | None = None) -> None:
        super().__init__()
        self.net = net
        self.losses = nn.ModuleDict({k: t.loss for k, t in terms.items()})
        self.terms = terms
        self.optimizer_factory = optimizer
        self.backbone_lr_mult = backbone_lr_mult
        self.lr_anneal = dict(lr_anneal) if lr_anneal else None
        self.guard_nonfinite = guard_nonfinite
        if horizon_steps is not None and int(horizon_steps) < 1:
            from da.errors import DAError

            raise DAError(f"horizon_steps must be a positive number of steps (or null for the "
                          f"planned run), got {horizon_steps}")
        self.horizon_steps = int(horizon_steps) if horizon_steps else None
        unknown = set(validators) - set(V.LOGGED)
        if unknown:
            from da.errors import DAError

            raise DAError(f"unknown validator(s) {sorted(unknown)}; choose from "
                          f"{', '.join(V.LOGGED)}")
        self.validators = tuple(validators)
        self._val_cache: dict[str, list[Tensor]] = {}
        self.needs_target = any(getattr(t.loss, "needs_target", True) for t in terms.values())
        k = net.classifier.out_features
        self.train_acc = MulticlassAccuracy(k, average="micro")
        self.val_metrics = nn.ModuleList([_metrics(k, "val/source/"),
                                          _metrics(k, "val/target/", "_oracle")])
        self.val_loss = MeanMetric()
        self.test_metrics = nn.ModuleList([_metrics(k, f"test/{d}/") for d in _DOMAINS])
        self.planned_steps = 1
        self.start_step = 0

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)[1]

    @property
    def progress(self) -> float:
        return progress(self.global_step, self.planned_steps, self.horizon_steps)

    def lr_decay(self) -> InverseDecay:
        """The ``lr_anneal`` factor as a function of the step (same horizon as the terms)."""
        return InverseDecay(self.planned_steps, **self.lr_anneal,
                            horizon_steps=self.horizon_steps)

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        x_s, y_s = batch["source"]
        if self.needs_target:
            (x_t,) = batch["target"]
            f, logits = self.net(torch.cat([x_s, x_t]))
            n = len(x_s)
            f_s, f_t, logits_s, logits_t = f[:n], f[n:], logits[:n], logits[n:]
        else:  # plain ERM: target batches never touch the network (nor its BatchNorm stats)
            f_s, logits_s = self.net(x_s)
            f_t, logits_t, x_t = f_s[:0], logits_s[:0], None
        inputs = LossInputs(f_s, f_t, logits_s, logits_t, y_s, self.progress,
                            x_s=x_s, x_t=x_t)
        parts: dict[str, Tensor] = {}
        weights = None
        for name, term in self.terms.items():
            out = term.loss(inputs)
            coeff = term.coefficient(inputs.progress)
            parts[name] = coeff * out.loss
            if out.source_weights is not None:
                w = out.source_weights.detach().reshape(-1)
                weights = w if weights is None else weights * w
            self.log(f"train/{name}/loss", out.loss.detach())
            self.log(f"train/{name}/coeff", coeff)
            for key, value in out.logs.items():
                self.log(f"train/{name}/{key}", value)
        if weights is None:
            cls_loss = F.cross_entropy(logits_s, y_s)
        else:
            cls_loss = (weights * F.cross_entropy(logits_s, y_s, reduction="none")).mean()
        parts = {"cls": cls_loss, **parts}
        if "target_labeled" in batch:  # semi-supervised DA: a few labelled target samples
            x_l, y_l = batch["target_labeled"]
            parts["target_labeled"] = F.cross_entropy(self.net(x_l)[1], y_l)
            self.log("train/target_labeled/loss", parts["target_labeled"].detach())
        total = sum(parts.values())
        if self.guard_nonfinite and not torch.isfinite(total):
            bad = [k for k, v in parts.items() if not torch.isfinite(v)] or ["total"]
            raise TrainingFailed(f"non-finite loss at step {self.global_step} in term(s) "
                                 f"{', '.join(bad)}; lower optim.optimizer.lr or the term's "
                                 "weight (the last good checkpoint is kept)")
        self.train_acc(logits_s.detach(), y_s)
        self.log("train/cls_loss", cls_loss.detach())
        self.log("train/loss", total.detach(), prog_bar=True)
        self.log("train/source/acc", self.train_acc, on_step=True, on_epoch=False)
        self.log("train/progress", self.progress)
        return total

    def validation_step(self, batch: list[Tensor], batch_idx: int,
                        dataloader_idx: int = 0) -> None:
        f, logits = self.net(batch[0])
        if dataloader_idx == 2:  # unlabelled target pool: label-free validators only
            p = logits.float().softmax(-1)
            self._cache("tgt_f", f)
            self._cache("tgt_p", p)
            if "mixval" in self.validators and batch[0].is_floating_point():  # not token ids
                counts = V.mixval_batch(lambda z: self.net(z)[1], batch[0], p.argmax(-1))
                self._cache("mix_correct", counts[0].reshape(1))
                self._cache("mix_total", counts[1].reshape(1))
            return
        y = batch[1]
        metrics = self.val_metrics[dataloader_idx]
        metrics.update(logits, y)
        self.log_dict(metrics, add_dataloader_idx=False, prog_bar=dataloader_idx == 0)
        if dataloader_idx == 0:
            losses = F.cross_entropy(logits, y, reduction="none")
            self.val_loss.update(losses)
            self.log("val/source/loss", self.val_loss, add_dataloader_idx=False)
            self._cache("src_f", f)
            self._cache("src_loss", losses)
            self._cache("src_y", y)

    def _cache(self, key: str, value: Tensor) -> None:
        if self.validators:
            self._val_cache.setdefault(key, []).append(value.detach())

    def on_validation_epoch_end(self) -> None:
        cache, self._val_cache = self._val_cache, {}
        if not self.validators or "tgt_p" not in cache:
            return
        # every process scores the same gathered data, so the logged values agree
        data = {k: self.all_gather(torch.cat(v)).reshape(-1, *torch.cat(v).shape[1:]).cpu()
                for k, v in cache.items()}
        # DEV and IWV weigh by the same density ratio: one domain classifier per validation
        ratio = functools.cache(lambda: V.density_ratio(data["src_f"], data["tgt_f"]))
        scores = {
            "entropy": lambda: V.entropy(data["tgt_p"]),
            "info_max": lambda: V.info_max(data["tgt_p"]),
            "bnm": lambda: V.bnm(data["tgt_p"]),
            "snd": lambda: V.snd(data["tgt_f"]),
            "dev": lambda: V.dev(data["src_f"], data["src_loss"], data["tgt_f"], w=ratio()),
            "iwv": lambda: V.iwv(data["src_f"], data["src_loss"], data["tgt_f"], w=ratio()),
            "reverse": lambda: V.reverse(data["src_f"], data["src_y"], data["tgt_f"],
                                         data["tgt_p"]),
            "mixval": lambda: V.mixval(data["mix_correct"], data["mix_total"]),
        }
        for name in self.validators:
            if name == "mixval" and "mix_total" not in data:
                continue  # inputs that cannot be mixed (token ids)
            self.log(f"val/select/{name}", scores[name]())

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int,
                  dataloader_idx: int = 0) -> None:
        x, y = batch
        metrics = self.test_metrics[dataloader_idx]
        metrics.update(self(x), y)
        self.log_dict(metrics, add_dataloader_idx=False)

    def on_train_start(self) -> None:
        self.start_step = self.global_step  # > 0 when resumed from a checkpoint

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # the label space, so init_from can tell a new one (digits 0-4 -> 5-9) needs a new head
        checkpoint["da_class_ids"] = getattr(self, "class_ids", None)
        # dropout draws from the global generators: keep them so a resumed run is exact
        checkpoint["rng"] = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            checkpoint["rng"]["cuda"] = torch.cuda.get_rng_state_all()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        rng = checkpoint.get("rng") or {}
        if "torch" in rng:
            torch.set_rng_state(rng["torch"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])

    def configure_optimizers(self) -> dict:
        self.planned_steps = max(int(self.trainer.estimated_stepping_batches), 1)
        # frozen parameters (finetune=frozen|partial, a distillation teacher) stay out
        backbone = [p for p in self.net.backbone.parameters() if p.requires_grad]
        ids = {id(p) for p in self.net.backbone.parameters()}
        rest = [p for p in self.parameters() if id(p) not in ids and p.requires_grad]
        groups = [{"params": backbone, "lr_mult": self.backbone_lr_mult},
                  {"params": rest, "lr_mult": 1.0}]
        opt = self.optimizer_factory([g for g in groups if g["params"]])
        for group in opt.param_groups:
            group["lr"] = group["lr"] * group["lr_mult"]
        if not self.lr_anneal:
            return {"optimizer": opt}
        sched = torch.optim.lr_scheduler.LambdaLR(opt, self.lr_decay())
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
