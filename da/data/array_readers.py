"""Read ``(x, y)`` arrays from a user's file, whatever common format it is in.

By suffix:

* ``.npz``: keys ``x_key`` / ``y_key``, else the first of ``x, X, data, features, fts`` and
  ``y, Y, labels, label, target, targets``.
* ``.npy``: features in ``foo.npy``, labels in the sibling ``foo_labels.npy``.
* ``.csv``: one sample per row; the label is the last column, or the column named
  ``y_key`` (needs a header). A header row is detected (any non-numeric cell) and skipped.
* ``.pt``: a dict (keys as for ``.npz``) or an ``(x, y)`` tuple/list of tensors or arrays;
  loaded with ``weights_only=True`` (no arbitrary code).
* ``.mat``: MATLAB v5 (``scipy.io.loadmat``) or v7.3 (HDF5, via ``h5py``; MATLAB stores
  arrays column-major, so every array is transposed back to MATLAB's ``(N, D)``).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np

from da.errors import DAError

X_KEYS = ("x", "X", "data", "features", "fts")
Y_KEYS = ("y", "Y", "labels", "label", "target", "targets")
SUFFIXES = (".npz", ".npy", ".csv", ".pt", ".mat")


def _pick(keys, wanted: str | None, fallbacks: tuple[str, ...], path: Path, what: str) -> str:
    keys = list(keys)
    names = (wanted,) if wanted else fallbacks
    for k in names:
        if k in keys:
            return k
    raise DAError(f"{path} has no {what} array: looked for {', '.join(names)}, found "
                  f"{', '.join(map(str, keys)) or 'nothing'}; set dataset.{what[0]}_key")


def _from_mapping(m, x_key, y_key, path: Path) -> tuple[np.ndarray, np.ndarray]:
    keys = [k for k in m.keys() if not str(k).startswith("__")]
    xk = _pick(keys, x_key, X_KEYS, path, "x (features)")
    yk = _pick(keys, y_key, Y_KEYS, path, "y (labels)")
    return np.asarray(m[xk]), np.asarray(m[yk])


def _csv(path: Path, y_key: str | None) -> tuple[np.ndarray, np.ndarray]:
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    if not rows:
        raise DAError(f"{path} is empty")
    header = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    col = -1
    if y_key:
        if header is None or y_key not in header:
            raise DAError(f"{path} has no column named {y_key!r} (header: {header}); "
                          "unset dataset.y_key to use the last column")
        col = header.index(y_key)
    try:
        a = np.asarray(rows, dtype=np.float64)
    except ValueError as e:
        raise DAError(f"{path} has a non-numeric cell ({e}); only numbers are supported") from None
    return np.delete(a, col, axis=1), a[:, col]


def _mat(path: Path, x_key, y_key) -> tuple[np.ndarray, np.ndarray]:
    import h5py

    if h5py.is_hdf5(path):  # MATLAB v7.3
        with h5py.File(path, "r") as f:
            m = {k: np.asarray(f[k]).T for k in f.keys() if isinstance(f[k], h5py.Dataset)}
        return _from_mapping(m, x_key, y_key, path)
    from scipy.io import loadmat

    return _from_mapping(loadmat(path), x_key, y_key, path)


def _pt(path: Path, x_key, y_key) -> tuple[np.ndarray, np.ndarray]:
    import torch

    obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, dict):
        x, y = _from_mapping(obj, x_key, y_key, path)
    elif isinstance(obj, (tuple, list)) and len(obj) == 2:
        x, y = obj
    else:
        raise DAError(f"{path} holds a {type(obj).__name__}; expected a dict with x/y keys or "
                      "an (x, y) pair")
    return tuple(v.numpy() if isinstance(v, torch.Tensor) else np.asarray(v) for v in (x, y))


def read_arrays(path: Path, x_key: str | None = None,
                y_key: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from ``path``; raises a one-line :class:`DAError` on any problem.

    Cached per path, keys and file version (a rewritten file is read again)."""
    if not path.is_file():
        raise DAError(f"data file {path} does not exist; give an existing .npz/.npy/.csv/.pt/"
                      ".mat file (absolute path, or relative to the working directory)")
    st = path.stat()
    return _read_arrays(path, x_key, y_key, (st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=16)
def _read_arrays(path: Path, x_key: str | None, y_key: str | None,
                 version: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path) as z:
                x, y = _from_mapping(z, x_key, y_key, path)
        elif suffix == ".npy":
            lab = path.with_name(path.stem + "_labels.npy")
            if not lab.is_file():
                raise DAError(f"labels for {path} not found: expected {lab} beside it")
            x, y = np.load(path), np.load(lab)
        elif suffix == ".csv":
            x, y = _csv(path, y_key)
        elif suffix == ".pt":
            x, y = _pt(path, x_key, y_key)
        elif suffix == ".mat":
            x, y = _mat(path, x_key, y_key)
        else:
            raise DAError(f"{path}: unsupported suffix {suffix!r}; use one of "
                          f"{', '.join(SUFFIXES)}")
    except DAError:
        raise
    except Exception as e:  # a corrupt or foreign file: say which, in one line
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DAError(f"cannot read {path} as {suffix}: {msg}") from None
    return np.asarray(x), np.asarray(y).reshape(-1)
