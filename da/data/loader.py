"""``StepLoader``: training batches that are a pure function of the step.

The batch of step ``k`` for a domain with ``N`` samples and global batch ``B`` is slice
``k mod (N // B)`` of the permutation of epoch ``k // (N // B)``, drawn from a generator
seeded by ``(seed, domain, epoch)``. So

* resuming at ``global_step`` gives exactly the batches an uninterrupted run would see
  (nothing to save: the position *is* the step), prefetching included;
* under DDP, process ``r`` of ``W`` takes rows ``[r B/W, (r+1) B/W)`` of the same global
  batch: one process and W processes see the same samples per step;
* in-memory tensors need no per-sample ``__getitem__``/collate: one index operation per
  domain and step, in the main process.

Lazy inputs (:class:`~da.data.base.LazyInputs`, e.g. image files) are decoded per sample
with the training augmentation, each sample's random draws seeded by ``(seed, domain,
step, row)``: augmentation is a pure function of the step too, whatever the number of
workers or processes. With ``num_workers > 0`` whole step batches are built by a
:class:`~torch.utils.data.DataLoader`'s workers (and pinned if asked); the loader is
wrapped, not returned, so Lightning does not swap its step sampler for a distributed one.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

from da.data.base import LazyInputs

Batch = dict[str, tuple[Tensor, ...]]


def decode(x: LazyInputs, idx: Tensor, seeds: list[int] | None = None) -> Tensor:
    """Stack samples ``idx`` of ``x``; with ``seeds``, augmented, sample ``j`` drawing from a
    generator seeded by ``seeds[j]`` (the caller's global RNG state is left untouched)."""
    if seeds is None:
        return x.collate([x.get(i, augment=False) for i in idx.tolist()])
    with torch.random.fork_rng(devices=[]):
        out = []
        for i, s in zip(idx.tolist(), seeds, strict=True):
            torch.manual_seed(s)
            out.append(x.get(i, augment=True))
    return x.collate(out)


class LazyDataset(Dataset):
    """``(x_i, *rest_i)`` with ``x`` decoded by the evaluation transform (TensorDataset's twin)."""

    def __init__(self, x: LazyInputs, *rest: Tensor) -> None:
        self.x, self.rest = x, rest

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[Tensor, ...]:
        return (self.x.get(i, augment=False), *(t[i] for t in self.rest))

    def collate(self, rows: list[tuple[Tensor, ...]]) -> list[Tensor]:
        """A DataLoader ``collate_fn``: the inputs' own :meth:`LazyInputs.collate` (padding
        for token ids), labels stacked."""
        cols = list(zip(*rows, strict=True))
        return [self.x.collate(list(cols[0])), *(torch.stack(list(c)) for c in cols[1:])]


def as_dataset(x: Tensor | LazyInputs, *rest: Tensor) -> Dataset:
    """A map-style dataset of ``(x_i, *rest_i)`` for evaluation loaders."""
    return TensorDataset(x, *rest) if isinstance(x, Tensor) else LazyDataset(x, *rest)


class DomainStream:
    """The batch schedule of one domain's inputs (and labels)."""

    def __init__(self, tensors: tuple[Tensor | LazyInputs, ...], batch_size: int, seed: int,
                 salt: int) -> None:
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
        return tuple(t[idx] if isinstance(t, Tensor) else decode(t, idx, self._seeds(step, rank, per))
                     for t in self.tensors)

    def _seeds(self, step: int, rank: int, per: int) -> list[int]:
        """One augmentation seed per row of the global batch (Python's hash of an int tuple
        is the same in every process: no PYTHONHASHSEED salt)."""
        return [hash((self.seed, self.salt, step, row)) & 0x7FFF_FFFF_FFFF_FFFF
                for row in range(rank * per, (rank + 1) * per)]


class MultiStream:
    """Several domains' streams as one (multi-source): each step concatenates their batches,
    each of its own size, schedule and epochs (so a small domain cycles more often)."""

    def __init__(self, streams: list[DomainStream]) -> None:
        self.streams = streams
        self.batch_size = sum(s.batch_size for s in streams)
        self.per_epoch = max(s.per_epoch for s in streams)

    def batch(self, step: int, rank: int = 0, world: int = 1) -> tuple[Tensor, ...]:
        parts = [s.batch(step, rank, world) for s in self.streams]
        return tuple(torch.cat(cols) for cols in zip(*parts, strict=True))


class _StepBatches(Dataset):
    """Map-style ``step -> batch`` over the streams, for DataLoader workers."""

    def __init__(self, streams: dict[str, DomainStream | MultiStream], rank: int,
                 world: int) -> None:
        self.streams, self.rank, self.world = streams, rank, world

    def __getitem__(self, step: int) -> Batch:
        return {name: s.batch(step, self.rank, self.world) for name, s in self.streams.items()}


class _Steps(Sampler):
    """Steps ``start, start + 1, ...`` of one pass; the owner sets ``start`` before each."""

    def __init__(self, length: int) -> None:
        self.start, self.length = 0, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.start + self.length))


class StepLoader:
    """Iterable of ``{"source": (x, y), "target": (x,)}`` training batches.

    One pass ("epoch" for Lightning) is ``max`` of the domains' batches per epoch; each
    ``iter()`` continues from where the last stopped, starting at ``start_step``.
    ``num_workers`` / ``pin_memory``: build batches in DataLoader workers (for lazy inputs;
    in-memory tensors are sliced faster in the main process).
    """

    def __init__(self, streams: dict[str, DomainStream], start_step: int = 0, rank: int = 0,
                 world: int = 1, num_workers: int = 0, pin_memory: bool = False) -> None:
        self.streams = streams
        self.step = start_step
        self.rank, self.world = rank, world
        self._batches = _StepBatches(streams, rank, world)
        self._steps = _Steps(len(self))
        self._workers: DataLoader | None = None
        if num_workers > 0 or pin_memory:
            self._workers = DataLoader(self._batches, batch_size=None, sampler=self._steps,
                                       num_workers=num_workers, pin_memory=pin_memory,
                                       persistent_workers=num_workers > 0)

    def __len__(self) -> int:
        return max(s.per_epoch for s in self.streams.values())

    def batch(self, step: int) -> Batch:
        return self._batches[step]

    # Lightning checks for these to treat the loader as resumable. The position needs no
    # saving: the data module starts a new loader at the restored ``global_step``.
    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass

    def __iter__(self) -> Iterator[Batch]:
        self._steps.start = self.step
        batches = self._workers if self._workers is not None else map(self.batch, self._steps)
        for batch in batches:
            self.step += 1
            yield batch
