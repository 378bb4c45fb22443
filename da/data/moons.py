"""Two moons: a 2-D toy family for notebooks and tests.

``original`` is scikit-learn's two moons (noise 0.1); ``rotated`` is the same process
rotated by 35 degrees about the data centre, the classic toy shift of DANN demos.
Each domain has 600 train and 400 test points, drawn with a fixed seed per domain.
"""

from __future__ import annotations

import numpy as np
import torch

from da.data.base import DomainFamily, Split

_ANGLES = {"original": 0.0, "rotated": 35.0}


class Moons(DomainFamily):
    """Two-moons family; domains ``original`` and ``rotated``."""

    name = "moons"
    domains = tuple(_ANGLES)
    num_classes = 2
    input_shape = (2,)

    def __init__(self, noise: float = 0.1, n_train: int = 600, n_test: int = 400) -> None:
        self.noise, self.n_train, self.n_test = noise, n_train, n_test

    def _load(self, domain: str, split: str) -> Split:
        from sklearn.datasets import make_moons

        seed = {"train": 0, "test": 1}[split] + 10 * list(_ANGLES).index(domain)
        n = self.n_train if split == "train" else self.n_test
        x, y = make_moons(n, noise=self.noise, random_state=seed)
        x = x - np.array([0.5, 0.25])
        a = np.deg2rad(_ANGLES[domain])
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        x = x @ rot.T
        return Split(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))
