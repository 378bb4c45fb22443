"""Unsupervised input alignment of the source to the target (``data.align``), for vector data.

* ``none``: the inputs as the dataset gives them.
* ``coral``: CORAL (Sun, Feng & Saenko, AAAI 2016, "Return of Frustratingly Easy Domain
  Adaptation"): the source inputs are whitened with their own covariance and re-coloured
  with the target's::

      C_s = cov(X_s) + reg I,   C_t = cov(X_t) + reg I,   X_s <- X_s C_s^{-1/2} C_t^{1/2}

  as in the authors' MATLAB code (``cov(Xs) + eye``: ``reg=1``; no centring, the inputs
  are usually z-scored per domain first). ``C_s`` is fitted on the source *training*
  split only (the held-out source validation split is transformed, never fitted on);
  ``C_t`` on the target's unlabelled pool -- no label is read. The same map is applied to
  every source split; target inputs are left as they are.

Any method then trains on the aligned inputs: a deep method on CORAL features is CORAL
(the alignment) combined with the method's own adaptation loss. Shapes: ``(N, D)`` only.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from da.errors import DAError

OPTIONS = ("none", "coral")


def check_option(align: str) -> str:
    if align not in OPTIONS:
        raise DAError(f"data.align={align!r} is not one of {', '.join(OPTIONS)}")
    return align


def _sym_power(c: np.ndarray, power: float) -> np.ndarray:
    """``c ** power`` of a symmetric positive-definite matrix (via its eigendecomposition)."""
    w, v = np.linalg.eigh(c)
    return (v * np.clip(w, 1e-12, None) ** power) @ v.T


def coral_map(xs: np.ndarray, xt: np.ndarray, reg: float = 1.0) -> np.ndarray:
    """The ``(D, D)`` matrix ``C_s^{-1/2} C_t^{1/2}`` that re-colours ``xs`` like ``xt``."""
    if reg <= 0:
        raise DAError(f"data.align_reg must be > 0 (CORAL's covariance regulariser), got {reg}")
    eye = np.eye(xs.shape[1])
    cs = np.cov(xs, rowvar=False) + reg * eye
    ct = np.cov(xt, rowvar=False) + reg * eye
    return _sym_power(cs, -0.5) @ _sym_power(ct, 0.5)


def check_vectors(x: object, what: str) -> Tensor:
    if not torch.is_tensor(x) or x.ndim != 2:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise DAError(f"data.align works on (N, D) feature vectors, but {what} is {shape}; "
                      "use data.align=none for images")
    return x


def fit_coral(source_train: Tensor, target_pool: Tensor, reg: float = 1.0) -> Tensor:
    """The CORAL map fitted on the source training inputs and the unlabelled target pool."""
    xs = check_vectors(source_train, "the source").double().numpy()
    xt = check_vectors(target_pool, "the target").double().numpy()
    return torch.from_numpy(coral_map(xs, xt, reg))


def apply(x: Tensor, a: Tensor) -> Tensor:
    return (x.double() @ a).to(x.dtype)
