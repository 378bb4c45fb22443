"""Embedded default data: scikit-learn's 8x8 handwritten digits with a synthetic shift.

No download and no data folder: the 1,797 digits ship inside scikit-learn. Images are
upsampled to 16x16 (bilinear) and scaled to ``[0, 1]``. The images are split once, by a
fixed permutation, into two disjoint halves so that source and target never share a
digit image: ``clean`` uses half A; every shifted domain uses half B.

Domains (all deterministic, generated with a fixed RNG):

* ``clean``: the digits as they are.
* ``shifted``: slanted by a random angle in ``[8, 15]`` degrees (sign random), strokes
  thickened (grey dilation 2x2), contrast lowered to 50% on a 0.35 grey page, plus
  Gaussian noise (sigma 0.15): a writer, pen, scanner and paper change at once.
* ``rotated``: only the rotation of ``shifted``.
* ``noisy``: only the stroke, contrast and noise change of ``shifted``.

Each domain half is split 70/30 into ``train`` (for the target: the unlabelled pool)
and ``test``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from scipy import ndimage

from da.data.base import DomainFamily, Split

_SHIFTS = {
    "clean": dict(half=0),
    "shifted": dict(half=1, rotate=(8.0, 15.0), dilate=True, contrast=0.5, background=0.35,
                    noise=0.15),
    "rotated": dict(half=1, rotate=(8.0, 15.0)),
    "noisy": dict(half=1, dilate=True, contrast=0.5, background=0.35, noise=0.15),
}


@lru_cache(maxsize=1)
def _base_images() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.images.astype(np.float32) / 16.0
    x = ndimage.zoom(x, (1, 2, 2), order=1).clip(0, 1)
    return x, d.target.astype(np.int64)


def _apply_shift(x: np.ndarray, rng: np.random.Generator, rotate=None, dilate=False,
                 contrast=1.0, background=0.0, noise=0.0) -> np.ndarray:
    x = x.copy()
    if rotate is not None:
        lo, hi = rotate
        angles = rng.uniform(lo, hi, len(x)) * rng.choice([-1.0, 1.0], len(x))
        x = np.stack([ndimage.rotate(img, a, reshape=False, order=1)
                      for img, a in zip(x, angles, strict=True)])
    if dilate:
        x = ndimage.grey_dilation(x, size=(1, 2, 2))
    x = background + contrast * x
    if noise:
        x = x + rng.normal(0.0, noise, x.shape).astype(np.float32)
    return x.clip(0, 1).astype(np.float32)


class SkDigits(DomainFamily):
    """scikit-learn digits with synthetic domains; see the module docstring.

    Args:
        train_fraction: share of each domain's images in its ``train`` split.
    """

    name = "skdigits"
    domains = tuple(_SHIFTS)
    num_classes = 10
    input_shape = (1, 16, 16)

    def __init__(self, train_fraction: float = 0.7) -> None:
        self.train_fraction = train_fraction

    def _load(self, domain: str, split: str) -> Split:
        x, y = _base_images()
        spec = dict(_SHIFTS[domain])
        perm = np.random.default_rng(1234).permutation(len(x))
        idx = np.sort(perm[spec.pop("half")::2])
        rng = np.random.default_rng(sum(map(ord, domain)))
        xd = _apply_shift(x[idx], rng, **spec)
        yd = y[idx]
        order = np.random.default_rng(99).permutation(len(idx))
        n_train = int(round(self.train_fraction * len(idx)))
        part = order[:n_train] if split == "train" else order[n_train:]
        xs = torch.from_numpy((xd[np.sort(part)] - 0.5) / 0.5).unsqueeze(1)
        return Split(xs.float(), torch.from_numpy(yd[np.sort(part)]))
