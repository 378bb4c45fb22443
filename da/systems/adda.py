"""ADDA: adversarial discriminative domain adaptation (Tzeng et al., CVPR 2017).

Starts from a source model (``init_from``: train ``method=source_only`` first). Its
encoder (backbone + bottleneck) is copied and frozen as the *source encoder* ``M_s``; the
network's own encoder becomes the *target encoder* ``M_t`` (initialised from ``M_s``); the
classifier stays frozen. Each iteration alternates

* a discriminator step: ``BCE(D(M_s(x_s)), 1) + BCE(D(M_t(x_t)), 0)``, ``D`` only;
* an encoder step with inverted labels (the GAN loss): ``BCE(D(M_t(x_t)), 1)``, ``M_t`` only,

so ``M_t`` maps target data where the frozen classifier expects source features.
Predictions use ``M_t`` and the frozen classifier. Manual optimisation; only the encoder
step advances ``global_step`` (see :mod:`da.systems.base`). Logs ``train/adda/disc_acc``.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from da.errors import DAError
from da.nets.discriminator import DomainDiscriminator
from da.systems.base import ManualDAModule


class ADDAModule(ManualDAModule):
    def __init__(self, *args, init_from: str | None = None, disc_hidden: int = 500,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not init_from:
            raise DAError("method=adda starts from a source model: train one (method=source_only) "
                          "and pass init_from=<its checkpoint>")
        self.source_encoder = copy.deepcopy(nn.Sequential(self.net.backbone, self.net.bottleneck))
        for p in [*self.source_encoder.parameters(), *self.net.classifier.parameters()]:
            p.requires_grad_(False)
        self.discriminator = DomainDiscriminator(self.net.feature_dim, disc_hidden,
                                                 batch_norm=False)

    def train(self, mode: bool = True) -> ADDAModule:
        super().train(mode)
        self.source_encoder.eval()  # frozen: BatchNorm statistics and dropout stay off
        return self

    def training_step(self, batch: dict, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        x_s, _ = batch["source"]  # source labels are not used: the classifier is fixed
        (x_t,) = batch["target"]
        with torch.no_grad():
            f_s = self.source_encoder(x_s)
        f_t = self.net.bottleneck(self.net.backbone(x_t))

        logits = self.discriminator(torch.cat([f_s, f_t.detach()]))
        labels = torch.cat([torch.ones(len(f_s)), torch.zeros(len(f_t))]).to(logits)
        loss_d = F.binary_cross_entropy_with_logits(logits, labels)
        self.check_finite("ADDA discriminator step", loss_d)
        self.update(opt_d, loss_d)

        logits_t = self.discriminator(f_t)
        loss_g = F.binary_cross_entropy_with_logits(logits_t, torch.ones_like(logits_t))
        self.check_finite("ADDA encoder step", loss_g)
        self.update(opt_g, loss_g, counted=True)
        opt_d.zero_grad()  # the discriminator's gradients from the encoder step are dropped
        self.step_schedulers()

        with torch.no_grad():
            acc = ((logits > 0).to(labels) == labels).float().mean()
        self.log("train/adda/disc_acc", acc)
        self.log("train/adda/loss_d", loss_d.detach())
        self.log("train/adda/loss_g", loss_g.detach())
        self.log("train/loss", (loss_d + loss_g).detach(), prog_bar=True)
        self.log("train/progress", self.progress)

    def configure_optimizers(self):
        return self.build_optimizers([self.generator_groups(),
                                      [{"params": list(self.discriminator.parameters())}]])
