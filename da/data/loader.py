"""``StepLoader``: in-memory training batches that are a pure function of the step.

The batch of step ``k`` for a domain with ``N`` samples and global batch ``B`` is slice
``k mod (N // B)`` of the permutation of epoch ``k // (N // B)``, drawn from a generator
seeded by ``(seed, domain, epoch)``. So

* resuming at ``global_step`` gives exactly the batches an uninterrupted run would see
  (nothing to save: the position *is* the step), prefetching included;
* under DDP, process ``r`` of ``W`` takes rows ``[r B/W, (r+1) B/W)`` of the same global
  batch: one process and W processes see the same samples per step;
* no per-sample ``__getitem__``/collate: one index operation per domain and step.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor


class DomainStream:
    """The batch schedule of one domain's tensors."""

    def __init__(self, tensors: tuple[Tensor, ...], batch_size: int, seed: int, salt: int) -> None:
        self.tensors = tensors
        self.n = len(tensors[0])
        self.batch_size = batch_size
        self.per_epoch = self.n // batch_size
        self.seed, self.salt = seed, salt
        self._perm_epoch, self._perm = -1, None

    def _permutation(self, epoch: int) -> Tensor:
        if epoch != self._perm_epoch:
            g = torch.Generator().manual_seed((self.seed * 1_000_003 + self.salt) * 1_000_033 + epoch)
            self._perm, self._perm_epoch = torch.randperm(self.n, generator=g), epoch
        return self._perm

    def batch(self, step: int, rank: int = 0, world: int = 1) -> tuple[Tensor, ...]:
        epoch, j = divmod(step, self.per_epoch)
        idx = self._permutation(epoch)[j * self.batch_size:(j + 1) * self.batch_size]
        per = self.batch_size // world
        idx = idx[rank * per:(rank + 1) * per]
        return tuple(t[idx] for t in self.tensors)


class StepLoader:
    """Iterable of ``{"source": (x, y), "target": (x,)}`` training batches.

    One pass ("epoch" for Lightning) is ``max`` of the domains' batches per epoch; each
    ``iter()`` continues from where the last stopped, starting at ``start_step``.
    """

    def __init__(self, streams: dict[str, DomainStream], start_step: int = 0, rank: int = 0,
                 world: int = 1) -> None:
        self.streams = streams
        self.step = start_step
        self.rank, self.world = rank, world

    def __len__(self) -> int:
        return max(s.per_epoch for s in self.streams.values())

    # Lightning checks for these to treat the loader as resumable. The position needs no
    # saving: the data module starts a new loader at the restored ``global_step``.
    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass

    def __iter__(self) -> Iterator[dict[str, tuple[Tensor, ...]]]:
        for _ in range(len(self)):
            k = self.step
            self.step += 1
            yield {name: s.batch(k, self.rank, self.world) for name, s in self.streams.items()}
