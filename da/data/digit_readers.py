"""Readers for the published file formats of the digit benchmarks.

Every reader returns ``(x, y)``: images ``x`` of shape ``(N, H, W, C)``, either ``uint8``
in ``[0, 255]`` or ``float32`` in ``[0, 1]``, and labels ``y`` int64 in ``0..9``. Results
are cached per path (decoded once per process), so repeated loads cost nothing.
"""

from __future__ import annotations

import bz2
import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np

from da.errors import DAError

Arrays = tuple[np.ndarray, np.ndarray]
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path: Path, mode: str = "rb"):
    if path.suffix == ".gz":
        return gzip.open(path, mode)
    if path.suffix == ".bz2":
        return bz2.open(path, mode)
    return open(path, mode)


def read_idx_file(path: Path) -> np.ndarray:
    """One IDX file (the MNIST format), gzip or raw: big-endian header, then the array."""
    with _open(path) as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DAError(f"{path} is not an IDX file (bad magic number); expected the MNIST "
                      "format, optionally gzipped")
    ndim = data[3]
    dims = np.frombuffer(data, ">i4", ndim, offset=4).astype(int)
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    body = np.frombuffer(data, dtype, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DAError(f"{path} is truncated: header says {tuple(dims)} but holds {body.size} "
                      "values; download it again")
    return body.reshape(tuple(dims)).copy()  # frombuffer views are read-only


@lru_cache(maxsize=8)
def read_mnist(images: Path, labels: Path) -> Arrays:
    x, y = read_idx_file(images), read_idx_file(labels)
    return x[..., None].astype(np.uint8, copy=False), y.astype(np.int64)


@lru_cache(maxsize=4)
def read_usps_h5(path: Path, split: str) -> Arrays:
    """``usps.h5``: ``{split}/data`` (N, 256) in [0, 1], ``{split}/target``."""
    import h5py

    with h5py.File(path, "r") as f:
        x = np.asarray(f[f"{split}/data"], dtype=np.float32)
        y = np.asarray(f[f"{split}/target"]).astype(np.int64)
    return x.reshape(-1, 16, 16, 1), y


@lru_cache(maxsize=4)
def read_usps_esl(path: Path) -> Arrays:
    """ESL ``zip.train`` / ``zip.test`` (optionally .gz): label, then 256 values in [-1, 1]."""
    with _open(path, "rt") as f:
        a = np.loadtxt(f, dtype=np.float32, ndmin=2)
    if a.shape[1] != 257:
        raise DAError(f"{path} has {a.shape[1]} columns, expected 257 (label + 16x16 pixels)")
    x = ((a[:, 1:] + 1.0) / 2.0).clip(0, 1)
    return x.reshape(-1, 16, 16, 1), a[:, 0].astype(np.int64)


@lru_cache(maxsize=4)
def read_usps_libsvm(path: Path) -> Arrays:
    """LIBSVM ``usps.bz2`` / ``usps.t.bz2``: ``label idx:value ...``, labels 1..10 -> 0..9."""
    xs, ys = [], []
    with _open(path, "rt") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            row = np.full(256, -1.0, np.float32)
            for item in parts[1:]:
                k, v = item.split(":")
                row[int(k) - 1] = float(v)
            xs.append(row)
            ys.append(int(float(parts[0])) - 1)
    x = ((np.stack(xs) + 1.0) / 2.0).clip(0, 1)
    return x.reshape(-1, 16, 16, 1), np.asarray(ys, np.int64)


@lru_cache(maxsize=4)
def read_npz_images(path: Path) -> Arrays:
    """MNIST-M as npz: ``x`` uint8 (N, 32, 32, 3), ``y`` (N,)."""
    try:
        with np.load(path) as z:
            x, y = z["x"], z["y"]
    except (KeyError, ValueError, OSError) as e:
        raise DAError(f"{path} is not a readable npz with keys 'x' and 'y' ({e})") from None
    if x.ndim == 3:
        x = x[..., None]
    return x, y.astype(np.int64)


@lru_cache(maxsize=4)
def read_png_folder(folder: Path, labels_txt: Path) -> Arrays:
    """The MNIST-M release layout: ``folder/*.png`` + ``labels_txt`` lines ``00000000.png 5``."""
    from PIL import Image

    names, ys = [], []
    for line in labels_txt.read_text().splitlines():
        if line.strip():
            name, label = line.split()
            names.append(name)
            ys.append(int(label))
    missing = [n for n in names[:1] + names[-1:] if not (folder / n).is_file()]
    if missing:
        raise DAError(f"{labels_txt} lists {missing[0]} but {folder / missing[0]} does not "
                      "exist; extract the full archive")
    x = np.stack([np.asarray(Image.open(folder / n).convert("RGB")) for n in names])
    return x, np.asarray(ys, np.int64)


@lru_cache(maxsize=4)
def read_svhn_mat(path: Path) -> Arrays:
    """SVHN ``{train,test}_32x32.mat``: ``X`` (32, 32, 3, N), ``y`` (N, 1) with 10 meaning 0."""
    from scipy.io import loadmat

    m = loadmat(path)
    x = np.ascontiguousarray(m["X"].transpose(3, 0, 1, 2))
    y = m["y"].reshape(-1).astype(np.int64)
    y[y == 10] = 0
    return x, y
