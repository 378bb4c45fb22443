"""MCD: Maximum Classifier Discrepancy (Saito et al., CVPR 2018).

Two classifiers ``C1`` (the network's) and ``C2`` (owned here, own initialisation) on one
generator ``G`` (backbone + bottleneck). With ``d(p, q) = mean |p - q|`` between softmax
outputs, each training iteration runs

* step A: ``G, C1, C2`` minimise the source cross-entropy of both classifiers;
* step B: ``C1, C2`` minimise ``CE_s(C1) + CE_s(C2) - d(C1(G(x_t)), C2(G(x_t)))``
  (``G`` fixed): the classifiers disagree as much as they can on the target;
* step C: ``G`` minimises ``d`` on the target, ``num_k`` times (4 in the paper).

Manual optimisation with two optimizers (``G``; ``C1 + C2``); only the last step C
advances ``global_step`` (see :mod:`da.systems.base`). Predictions (validation, test)
come from ``C1``.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor

from da.errors import DAError
from da.systems.base import ManualDAModule


def discrepancy(logits_a: Tensor, logits_b: Tensor) -> Tensor:
    """``mean |softmax(a) - softmax(b)|`` over samples and classes (float32)."""
    return (logits_a.float().softmax(-1) - logits_b.float().softmax(-1)).abs().mean()


class MCDModule(ManualDAModule):
    def __init__(self, *args, num_k: int = 4, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if num_k < 1:
            raise DAError(f"method.system.num_k must be >= 1, got {num_k}")
        self.num_k = num_k
        self.classifier2 = copy.deepcopy(self.net.classifier)
        self.classifier2.reset_parameters()

    def _generator(self, x: Tensor) -> Tensor:
        return self.net.bottleneck(self.net.backbone(x))

    def step_a(self, opt_g, opt_c, x_s: Tensor, y_s: Tensor) -> tuple[Tensor, Tensor]:
        """Generator and both classifiers on the source; returns (loss, C1's logits)."""
        f_s = self._generator(x_s)
        logits_s = self.net.classifier(f_s)
        loss = F.cross_entropy(logits_s, y_s) + F.cross_entropy(self.classifier2(f_s), y_s)
        self.check_finite("MCD step A", loss)
        opt_g.zero_grad()
        self.update(opt_c, loss)
        opt_g.optimizer.step()
        return loss, logits_s

    def step_b(self, opt_c, x_s: Tensor, y_s: Tensor, x_t: Tensor) -> Tensor:
        """Classifiers only: source CE minus their discrepancy on the target."""
        c1, c2 = self.net.classifier, self.classifier2
        with torch.no_grad():
            f_s, f_t = self._generator(x_s), self._generator(x_t)
        d = discrepancy(c1(f_t), c2(f_t))
        loss = F.cross_entropy(c1(f_s), y_s) + F.cross_entropy(c2(f_s), y_s) - d
        self.check_finite("MCD step B", loss)
        self.update(opt_c, loss)
        return d

    def step_c(self, opt_g, opt_c, x_t: Tensor) -> Tensor:
        """Generator only, ``num_k`` times: minimise the discrepancy on the target."""
        for i in range(self.num_k):
            f_t = self._generator(x_t)
            d = discrepancy(self.net.classifier(f_t), self.classifier2(f_t))
            self.check_finite("MCD step C", d)
            self.update(opt_g, d, counted=i == self.num_k - 1)
        opt_c.zero_grad()  # the classifiers' gradients from step C are never applied
        return d

    def training_step(self, batch: dict, batch_idx: int) -> None:
        opt_g, opt_c = self.optimizers()
        x_s, y_s = batch["source"]
        (x_t,) = batch["target"]
        loss_a, logits_s = self.step_a(opt_g, opt_c, x_s, y_s)
        d_b = self.step_b(opt_c, x_s, y_s, x_t)
        d_c = self.step_c(opt_g, opt_c, x_t)
        self.step_schedulers()
        self.train_acc(logits_s.detach(), y_s)
        self.log("train/cls_loss", loss_a.detach() / 2)
        self.log("train/mcd/discrepancy_b", d_b.detach())
        self.log("train/mcd/discrepancy_c", d_c.detach())
        self.log("train/loss", loss_a.detach(), prog_bar=True)
        self.log("train/source/acc", self.train_acc, on_step=True, on_epoch=False)
        self.log("train/progress", self.progress)

    def configure_optimizers(self):
        classifiers = [*self.net.classifier.parameters(), *self.classifier2.parameters()]
        return self.build_optimizers([self.generator_groups(),
                                      [{"params": classifiers, "lr_mult": 1.0}]])
