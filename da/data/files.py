"""Bring your own arrays: a source and a target file become the domains ``source`` and ``target``.

``dataset=files dataset.source_path=a.npz dataset.target_path=b.npz`` (formats: see
:mod:`da.data.array_readers`). The class count and input shape come from the data, so
the files are read once in ``__init__`` (cached per path) before the model is built.

* Labels may be 0-based or 1-based: if the smallest label over all files is 1 and the
  largest equals the number of distinct labels, they are taken as 1-based and shifted;
  the choice is logged. Source and target must have the same number of classes.
* Arrays ``(N, D)`` are feature vectors, ``(N, C, H, W)`` images as stored (channels
  first; no transpose is guessed); ``(N, H, W)`` gets a channel axis. ``uint8`` inputs
  are scaled to ``[0, 1]``; nothing else is normalised.
* Splits: the source file is both the source train split (of which the datamodule holds
  out a validation share) and its test split. The target file is the unlabelled pool; the
  target test split is ``target_test_path`` if given, else the target file itself
  (transductive, logged).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from da.data.array_readers import read_arrays
from da.data.base import DomainFamily, Split
from da.errors import DAError

log = logging.getLogger("da.data")


def _inputs(x: np.ndarray, path: Path) -> torch.Tensor:
    if x.ndim < 2:
        raise DAError(f"{path}: features must be (N, D) or (N, C, H, W), got shape {x.shape}")
    if x.ndim == 3:
        x = x[:, None]
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    return torch.tensor(np.asarray(x, np.float32) / scale)


def _labels(y: np.ndarray, path: Path) -> np.ndarray:
    yf = np.asarray(y, np.float64)
    if yf.size and not np.all(np.isfinite(yf) & (yf == np.round(yf))):
        raise DAError(f"{path}: labels must be integers (class indices), got e.g. "
                      f"{yf[~(yf == np.round(yf))][:3].tolist()}")
    return yf.astype(np.int64)


class Files(DomainFamily):
    """Source / target arrays read from files; see the module docstring.

    Args:
        source_path, target_path: labelled source, (unlabelled in training) target.
        target_test_path: optional labelled target test file.
        x_key, y_key: array names (npz/pt/mat) or label column (csv).
    """

    name = "files"
    domains = ("source", "target")

    def __init__(self, source_path: str | None = None, target_path: str | None = None,
                 target_test_path: str | None = None, x_key: str | None = None,
                 y_key: str | None = None) -> None:
        if not source_path or not target_path:
            raise DAError("dataset=files needs dataset.source_path=<file> and "
                          "dataset.target_path=<file> (.npz/.npy/.csv/.pt/.mat)")
        paths = {"source": source_path, "target": target_path, "target_test": target_test_path}
        raw = {k: read_arrays(Path(p).expanduser().resolve(), x_key, y_key)
               for k, p in paths.items() if p}
        self.paths = {k: Path(p) for k, p in paths.items() if p}
        ys = {k: _labels(y, self.paths[k]) for k, (_, y) in raw.items()}
        allys = np.concatenate(list(ys.values()))
        one_based = allys.min() == 1 and allys.max() == len(np.unique(allys))
        log.info("files: labels are %s-based (min %d, max %d)", 1 if one_based else 0,
                 allys.min(), allys.max())
        if one_based:
            ys = {k: y - 1 for k, y in ys.items()}
        if allys.min() < int(one_based):
            raise DAError(f"labels must be >= 0 (or 1-based), got min {allys.min()} in "
                          f"{[str(self.paths[k]) for k, y in ys.items() if y.min() < 0][0]}")
        counts = {k: int(y.max()) + 1 for k, y in ys.items()}
        if len(set(counts.values())) > 1:
            raise DAError("class counts differ: " + ", ".join(
                f"{k} {self.paths[k]} has {n}" for k, n in counts.items())
                + "; source and target must share the label set")
        self._splits = {k: Split(_inputs(x, self.paths[k]), torch.from_numpy(ys[k]))
                        for k, (x, _) in raw.items()}
        shapes = {k: tuple(s.x.shape[1:]) for k, s in self._splits.items()}
        if len(set(shapes.values())) > 1:
            raise DAError("input shapes differ: " + ", ".join(
                f"{k} {self.paths[k]} has {s}" for k, s in shapes.items()))
        self.num_classes = counts["source"]
        self.input_shape = shapes["source"]
        if "target_test" not in self._splits:
            log.info("files: no dataset.target_test_path, so the target test split is the "
                     "target file itself (transductive evaluation)")
        log.info("files: %d classes, input shape %s, %s", self.num_classes, self.input_shape,
                 ", ".join(f"{k} {len(s)}" for k, s in self._splits.items()))

    def _load(self, domain: str, split: str) -> Split:
        if domain == "target" and split == "test":
            return self._splits.get("target_test", self._splits["target"])
        return self._splits[domain]
