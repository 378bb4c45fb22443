"""Office-Caltech10 with 800-d bag-of-SURF features (Gong et al., CVPR 2012).

Domains ``amazon``, ``caltech``, ``dslr``, ``webcam`` from ``{domain}_SURF_L10.mat``
under ``root`` (``paths.data_dir``) or ``root/office_caltech10_surf``: ``fts`` (N, 800)
and ``labels`` (N, 1) in 1..10, mapped to 0..9.

Protocol (shallow DA, as in the JDA/GFK tables): **transductive**. Both the ``train`` and
the ``test`` split of a domain are *all* its samples, so the target test set is the
unlabelled target pool itself, and the source "test" accuracy is in-sample. Numbers
are comparable with the published tables, not with inductive splits.

``preprocess`` (:mod:`da.data.preprocess`, fitted per domain without labels): ``jda``
(default) divides each row by its sum, then z-scores each feature over the domain's own
samples (as in the JDA code); ``zscore``, ``l2``; ``none`` keeps raw counts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from da.data import preprocess as prep
from da.data.base import DomainFamily, Split
from da.errors import DAError


@lru_cache(maxsize=8)
def read_surf(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    try:
        m = loadmat(path)
        x, y = np.asarray(m["fts"], np.float64), np.asarray(m["labels"]).reshape(-1)
    except (KeyError, ValueError, OSError) as e:
        raise DAError(f"{path} is not a MATLAB file with 'fts' and 'labels' ({e})") from None
    return x, y.astype(np.int64) - 1


def jda_preprocess(x: np.ndarray) -> np.ndarray:
    """Row-normalise to sum 1, then z-score each column (zero-variance columns stay 0)."""
    return prep.fit_transform(x, "jda")


class OfficeCaltechSURF(DomainFamily):
    """Office-Caltech10 SURF features; see the module docstring.

    Args:
        root: data folder (``paths.data_dir``).
        preprocess: one of :data:`da.data.preprocess.OPTIONS`.
    """

    name = "office_caltech_surf"
    domains = ("amazon", "caltech", "dslr", "webcam")
    num_classes = 10
    input_shape = (800,)

    def __init__(self, root: str = "data", preprocess: str = "jda") -> None:
        self.root, self.preprocess = Path(root).expanduser(), prep.check_option(preprocess)

    def _path(self, domain: str) -> Path:
        name = f"{domain}_SURF_L10.mat"
        for d in (self.root / "office_caltech10_surf", self.root):
            if (d / name).is_file():
                return d / name
        raise DAError(f"no {name} under {self.root}: expected {self.root}/office_caltech10_surf/"
                      f"{{amazon,caltech,dslr,webcam}}_SURF_L10.mat (MATLAB, keys fts, "
                      "labels); set DA_DATA_DIR or dataset.root to the folder holding "
                      "office_caltech10_surf/")

    def _load(self, domain: str, split: str) -> Split:
        # transductive: train and test are the same samples (see the module docstring)
        x, y = read_surf(self._path(domain))
        # train and test are the same samples, so fitting on them fits on the training split
        x = prep.fit_transform(x, self.preprocess)
        return Split(torch.tensor(x, dtype=torch.float32), torch.from_numpy(y.copy()))
