"""Feature preprocessing for vector data (``dataset.preprocess``), shared by ``files`` and SURF.

Options (``(N, D)`` features; images are left alone):

* ``none``: the features as stored.
* ``zscore``: each feature (column) to zero mean and unit variance.
* ``l2``: each sample (row) to unit Euclidean norm.
* ``jda``: each row divided by its sum, then ``zscore`` (the JDA / GFK protocol for
  bag-of-words histograms such as Office-Caltech SURF; it reproduces the published 1-NN row).

**Fitted per domain, without labels.** Statistics (column mean and std) are those of one
domain's unlabelled inputs -- its training split (for the target: the unlabelled pool) --
and the same statistics are applied to that domain's test split. Labels are never read, so
target labels cannot leak in; standardising the target with its own statistics is the usual
transductive choice of the shallow-DA protocols (JDA, TCA, CORAL code releases) and is in
itself a mild form of alignment (first and second moments per feature). Row-wise options
(``l2``, the row-sum step of ``jda``) need no statistics. Zero-variance columns stay 0;
all-zero rows stay 0.
"""

from __future__ import annotations

import numpy as np

from da.errors import DAError

OPTIONS = ("none", "zscore", "jda", "l2")


def check_option(preprocess: str) -> str:
    if preprocess not in OPTIONS:
        raise DAError(f"dataset.preprocess={preprocess!r} is not one of {', '.join(OPTIONS)}")
    return preprocess


def _row_normalise(x: np.ndarray, order: int) -> np.ndarray:
    norm = x.sum(1, keepdims=True) if order == 1 else np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm == 0, 1.0, norm)


def _rows(x: np.ndarray, preprocess: str) -> np.ndarray:
    """The row-wise step of ``preprocess`` (needs no statistics)."""
    if preprocess == "l2":
        return _row_normalise(x, 2)
    if preprocess == "jda":
        return _row_normalise(x, 1)
    return x


def fit(x: np.ndarray, preprocess: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Column statistics ``(mean, std)`` of ``x`` (unlabelled inputs of one domain), or
    ``None`` for options without a column step."""
    if check_option(preprocess) not in ("zscore", "jda"):
        return None
    r = _rows(np.asarray(x, np.float64), preprocess)
    return r.mean(0, keepdims=True), r.std(0, keepdims=True)


def transform(x: np.ndarray, preprocess: str,
              stats: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Apply ``preprocess`` to ``x`` with the statistics from :func:`fit`."""
    r = _rows(np.asarray(x, np.float64), check_option(preprocess))
    if stats is None:
        return r
    mean, std = stats
    return (r - mean) / np.where(std == 0, 1.0, std)


def fit_transform(x: np.ndarray, preprocess: str) -> np.ndarray:
    return transform(x, preprocess, fit(x, preprocess))
