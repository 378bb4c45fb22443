"""SHOT: source hypothesis transfer (Liang et al., ICML 2020), source-free adaptation.

Starts from a source model (``init_from``, e.g. a ``method=source_only`` checkpoint),
freezes its classifier (the *hypothesis*) and trains the feature extractor (backbone +
bottleneck) on unlabelled target data only:

    L = H_mean(p) - H(mean p) + beta * CE(logits_t, pseudo_labels)

with ``p = softmax(logits_t)``: information maximisation (confident and diverse
predictions) plus self-supervised pseudo-labels. Pseudo-labels come from weighted
centroids over the whole unlabelled target pool, recomputed every ``pseudo_interval``
steps: with cosine distance on features augmented by a constant 1 (as in the paper's
code), ``c_k = sum_i p_ik f_i / sum_i p_ik``, labels ``argmin_k d(f_i, c_k)``, then one
refinement with the hard labels. A batch is labelled by its nearest centroid (features
at the current step; the paper labels each sample once per epoch). Centroids are kept in
checkpoints, so a resumed run matches an uninterrupted one. Source batches are ignored.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from da.errors import DAError, TrainingFailed
from da.module import DAModule


def _normalise(f: Tensor) -> Tensor:
    f = torch.cat([f.float(), torch.ones(len(f), 1, device=f.device)], 1)
    return F.normalize(f, dim=1)


def cluster_centroids(features: Tensor, probs: Tensor, rounds: int = 1) -> Tensor:
    """SHOT's centroids ``(K, D+1)`` (normalised) from pool features and soft predictions."""
    f = _normalise(features)
    c = probs.float().T @ f / (probs.float().sum(0)[:, None] + 1e-8)
    for _ in range(rounds):
        labels = nearest_centroid(f, c, normalised=True)
        onehot = F.one_hot(labels, probs.shape[1]).float()
        c = onehot.T @ f / (onehot.sum(0)[:, None] + 1e-8)
    return F.normalize(c, dim=1)


def nearest_centroid(features: Tensor, centroids: Tensor, normalised: bool = False) -> Tensor:
    f = features if normalised else _normalise(features)
    return (f @ F.normalize(centroids, dim=1).T).argmax(1)  # max cosine = min cosine distance


class SHOTModule(DAModule):
    def __init__(self, *args, init_from: str | None = None, beta: float = 0.3,
                 pseudo_interval: int = 100, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not init_from:
            raise DAError("method=shot is source-free and starts from a source model: train "
                          "one (method=source_only) and pass init_from=<its checkpoint>")
        if pseudo_interval < 1:
            raise DAError(f"method.system.pseudo_interval must be >= 1, got {pseudo_interval}")
        self.beta, self.pseudo_interval = beta, pseudo_interval
        self.needs_target = True
        for p in self.net.classifier.parameters():  # the source hypothesis stays fixed
            p.requires_grad_(False)
        self.centroids: Tensor | None = None

    @torch.no_grad()
    def refresh_centroids(self) -> None:
        dm = self.trainer.datamodule
        was = self.net.training
        self.net.eval()
        feats, probs = [], []
        for x in dm.input_batches(dm.target_pool, 512):  # tensors or lazy inputs (text, images)
            f, logits = self.net(x.to(self.device))
            feats.append(f.float())
            probs.append(logits.float().softmax(-1))
        self.net.train(was)
        self.centroids = cluster_centroids(torch.cat(feats), torch.cat(probs))

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        if self.centroids is None or self.global_step % self.pseudo_interval == 0:
            self.refresh_centroids()
        (x_t,) = batch["target"]  # batch["source"] is never used: source-free
        f_t, logits_t = self.net(x_t)
        p = logits_t.float().softmax(-1)
        ent = -(p * torch.log(p + 1e-5)).sum(1).mean()
        mean_p = p.mean(0)
        div = -(mean_p * torch.log(mean_p + 1e-5)).sum()
        pseudo = nearest_centroid(f_t.detach(), self.centroids)
        ce = F.cross_entropy(logits_t.float(), pseudo)
        loss = ent - div + self.beta * ce
        if self.guard_nonfinite and not torch.isfinite(loss):
            raise TrainingFailed(f"non-finite loss at step {self.global_step} in term(s) shot; "
                                 "lower optim.optimizer.lr (the last good checkpoint is kept)")
        self.log("train/shot/entropy", ent.detach())
        self.log("train/shot/diversity", div.detach())
        self.log("train/shot/pseudo_ce", ce.detach())
        self.log("train/loss", loss.detach(), prog_bar=True)
        self.log("train/progress", self.progress)
        return loss

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["shot_centroids"] = self.centroids

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        super().on_load_checkpoint(checkpoint)
        self.centroids = checkpoint.get("shot_centroids")
