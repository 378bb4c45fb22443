"""Domain-shift diagnostics at the start and end of training.

* proxy A-distance (Ben-David et al. 2007): ``2 (1 - 2 err)`` of a linear domain classifier
  (scikit-learn logistic regression, 2-fold cross-validated) on source vs target features;
* multi-kernel MMD^2 between the same features (the estimator of ``da.losses.mmd``);
* optionally a t-SNE plot of the end features coloured by domain and by class.

Features are the bottleneck outputs on the source validation split and the unlabelled
target pool (at most ``max_samples`` of each). Written to ``diagnostics.json`` (and
``tsne.png``) in the run directory and logged as ``diag/...``.
"""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import numpy as np
import torch

from da.losses.mmd import gaussian_kernel_bandwidths, mmd2_quadratic


def proxy_a_distance(f_s: np.ndarray, f_t: np.ndarray, seed: int = 0) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    x = np.concatenate([f_s, f_t])
    d = np.r_[np.zeros(len(f_s)), np.ones(len(f_t))]
    acc = cross_val_score(LogisticRegression(max_iter=500), x, d, cv=2).mean()
    return float(2.0 * (1.0 - 2.0 * (1.0 - acc)))


class DomainDiagnostics(L.Callback):
    def __init__(self, dirpath: str, max_samples: int = 500, tsne: bool = False) -> None:
        self.dirpath, self.max_samples, self.tsne = Path(dirpath), max_samples, tsne
        self.results: dict[str, float] = {}

    @torch.no_grad()
    def _features(self, module: L.LightningModule, dm, x) -> np.ndarray:
        was_training = module.training
        module.eval()
        f = torch.cat([module.net(b.to(module.device))[0].float().cpu()
                       for b in dm.input_batches(x, 256, self.max_samples)])
        module.train(was_training)
        return f.numpy()

    def _measure(self, trainer: L.Trainer, module: L.LightningModule, when: str) -> None:
        dm = trainer.datamodule
        if dm is None or not getattr(dm, "splits", None):
            return
        f_s = self._features(module, dm, dm.splits["source_val"].x)
        f_t = self._features(module, dm, dm.target_pool)
        xs, xt = torch.from_numpy(f_s), torch.from_numpy(f_t)
        self.results[f"a_distance_{when}"] = proxy_a_distance(f_s, f_t)
        self.results[f"mmd2_{when}"] = float(mmd2_quadratic(
            xs, xt, gaussian_kernel_bandwidths(xs, xt)))
        if when == "end" and self.tsne:
            self._plot(f_s, f_t, dm.splits["source_val"].y[: self.max_samples].numpy())

    def _plot(self, f_s: np.ndarray, f_t: np.ndarray, y_s: np.ndarray) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.manifold import TSNE

        z = TSNE(init="pca", random_state=0, perplexity=30).fit_transform(np.r_[f_s, f_t])
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        n = len(f_s)
        axes[0].scatter(*z[:n].T, s=4, label="source")
        axes[0].scatter(*z[n:].T, s=4, label="target")
        axes[0].legend()
        axes[0].set_title("by domain")
        axes[1].scatter(*z[:n].T, s=4, c=y_s, cmap="tab10")
        axes[1].set_title("source by class")
        fig.tight_layout()
        self.dirpath.mkdir(parents=True, exist_ok=True)
        fig.savefig(self.dirpath / "tsne.png", dpi=90)
        plt.close(fig)

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # on resume the restored state already holds the start values
        if trainer.is_global_zero and "a_distance_start" not in self.results:
            self._measure(trainer, pl_module, "start")

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        self._measure(trainer, pl_module, "end")
        self.dirpath.mkdir(parents=True, exist_ok=True)
        (self.dirpath / "diagnostics.json").write_text(json.dumps(self.results, indent=2))
        for lg in trainer.loggers:
            lg.log_metrics({f"diag/{k}": v for k, v in self.results.items()},
                           step=trainer.global_step)

    def state_dict(self) -> dict:
        return {"results": self.results}

    def load_state_dict(self, state_dict: dict) -> None:
        self.results = dict(state_dict.get("results", {}))
