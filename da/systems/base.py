"""Shared plumbing of the systems with manual optimisation (MCD, ADDA).

Lightning counts every step of an optimizer it wraps as a global step. These systems take
several optimizer steps per training iteration, so all but the last go to the underlying
torch optimizer (``opt.optimizer.step()``) and only the last goes through the wrapper:
``global_step`` counts iterations, ``trainer.max_steps`` and ``progress`` keep their
meaning, and resuming restores every optimizer's state. Learning-rate annealing
(``optim.lr_anneal``) is stepped once per iteration. The unwrapped steps bypass
Lightning's precision plugin: use ``32-true`` or ``bf16-mixed``, not ``16-mixed``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from da.errors import TrainingFailed
from da.module import DAModule


class ManualDAModule(DAModule):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.automatic_optimization = False
        self.needs_target = True

    def check_finite(self, name: str, loss: Tensor) -> None:
        if self.guard_nonfinite and not torch.isfinite(loss):
            raise TrainingFailed(f"non-finite loss at step {self.global_step} in {name}; lower "
                                 "optim.optimizer.lr (the last good checkpoint is kept)")

    def update(self, opt, loss: Tensor, counted: bool = False) -> None:
        """Backward ``loss`` and step ``opt``; ``counted`` advances ``global_step``."""
        opt.zero_grad()
        self.manual_backward(loss)
        opt.step() if counted else opt.optimizer.step()

    def step_schedulers(self) -> None:
        scheds = self.lr_schedulers()
        for sched in scheds if isinstance(scheds, list) else [scheds] if scheds else []:
            sched.step()

    def build_optimizers(self, groups: list[list[dict]]):
        """One optimizer per list of parameter groups (``lr_mult`` applied), plus the
        annealing schedulers when ``lr_anneal`` is set."""
        self.planned_steps = max(int(self.trainer.estimated_stepping_batches), 1)
        opts = []
        for spec in groups:
            opt = self.optimizer_factory([g for g in spec if g["params"]])
            for group in opt.param_groups:
                group["lr"] = group["lr"] * group.get("lr_mult", 1.0)
            opts.append(opt)
        if not self.lr_anneal:
            return opts
        decay = self.lr_decay()
        return opts, [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in opts]

    def generator_groups(self) -> list[dict]:
        """Backbone (at ``backbone_lr_mult``) and bottleneck, trainable parameters only."""
        return [{"params": [p for p in self.net.backbone.parameters() if p.requires_grad],
                 "lr_mult": self.backbone_lr_mult},
                {"params": [p for p in self.net.bottleneck.parameters() if p.requires_grad],
                 "lr_mult": 1.0}]
