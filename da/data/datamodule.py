"""``DADataModule``: labelled source, unlabelled target, paired for training.

Splits (all fixed by ``split_seed``, independent of the trial seed):

* source ``train`` -> training set and a held-out *source validation* set
  (``source_val_fraction``), the label-free selection signal;
* target ``train`` -> the unlabelled pool: its labels are dropped here, before any
  loader exists, so no training code can see them; the pool is also the third
  validation loader, scored by the label-free validators;
* target ``test`` -> the labelled test split, also used at validation time for the
  *oracle* curve (``val/target/acc_oracle``), which is never a selection signal by default;
* source ``test`` -> source test accuracy.

Training batches are ``{"source": (x, y), "target": (x,)}`` from a :class:`StepLoader`:
each step's batch is a pure function of ``(split_seed + seed, step)``, so a resumed run
sees the same batches as an uninterrupted one. ``batch_size`` is global: each of
``world_size`` processes takes its ``batch_size // world_size`` rows of the same global batch.

Inputs are tensors, or :class:`~da.data.base.LazyInputs` (image files) decoded per sample:
then ``num_workers`` / ``pin_memory`` apply to training batches as well as to evaluation
(in-memory training batches are sliced in the main process, which is faster).
"""

from __future__ import annotations

from collections.abc import Iterable

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from da.data.base import DomainFamily, LazyInputs, Split
from da.data.loader import DomainStream, StepLoader, as_dataset
from da.errors import DAError


class DADataModule(L.LightningDataModule):
    def __init__(self, family: DomainFamily, source: str, target: str, batch_size: int = 64,
                 eval_batch_size: int = 512, source_val_fraction: float = 0.2,
                 split_seed: int = 0, num_workers: int = 0, pin_memory: bool = False,
                 seed: int = 0) -> None:
        super().__init__()
        family.check_task(source, target)
        if batch_size < 1:
            raise DAError(f"data.batch_size must be >= 1, got {batch_size}")
        if not 0.0 < source_val_fraction < 1.0:
            raise DAError(f"data.source_val_fraction must be in (0, 1), got {source_val_fraction}")
        self.family, self.source, self.target = family, source, target
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.source_val_fraction, self.split_seed = source_val_fraction, split_seed
        self.num_workers, self.pin_memory = num_workers, pin_memory
        self.seed = seed
        self.splits: dict[str, Split] = {}

    @property
    def num_classes(self) -> int:
        return self.family.num_classes

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        src_train = self.family.load(self.source, "train")
        g = torch.Generator().manual_seed(self.split_seed)
        perm = torch.randperm(len(src_train), generator=g)
        n_val = max(1, int(round(self.source_val_fraction * len(src_train))))
        val_idx, tr_idx = perm[:n_val].sort().values, perm[n_val:].sort().values
        tgt_train = self.family.load(self.target, "train")
        self.splits = {
            "source_train": Split(src_train.x[tr_idx], src_train.y[tr_idx]),
            "source_val": Split(src_train.x[val_idx], src_train.y[val_idx]),
            "source_test": self.family.load(self.source, "test"),
            "target_test": self.family.load(self.target, "test"),
        }
        self.target_pool = tgt_train.x  # labels deliberately dropped
        self._check_classes()

    def _check_classes(self) -> None:
        k = self.family.num_classes
        for name, s in self.splits.items():
            if len(s) and (int(s.y.min()) < 0 or int(s.y.max()) >= k):
                raise DAError(f"{name} has labels in [{int(s.y.min())}, {int(s.y.max())}] but "
                              f"dataset {self.family.name} declares {k} classes (0..{k - 1})")

    def per_device_batch(self) -> int:
        world = self.trainer.world_size if self.trainer is not None else 1
        if self.batch_size % world:
            raise DAError(f"data.batch_size={self.batch_size} is global and must divide by the "
                          f"{world} processes; use a multiple of {world}")
        return self.batch_size // world

    def _loader(self, ds: Dataset, batch_size: int, shuffle: bool, drop_last: bool) -> DataLoader:
        return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                          num_workers=self.num_workers, pin_memory=self.pin_memory,
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> StepLoader:
        self.per_device_batch()
        src = self.splits["source_train"]
        for name, n in (("source training set", len(src)), ("target pool", len(self.target_pool))):
            if n < self.batch_size:
                raise DAError(f"the {name} has {n} samples, fewer than data.batch_size="
                              f"{self.batch_size}; lower data.batch_size")
        streams = {
            "source": DomainStream((src.x, src.y), self.batch_size, self.seed, salt=0),
            "target": DomainStream((self.target_pool,), self.batch_size, self.seed, salt=1),
        }
        trainer = self.trainer
        start = trainer.global_step if trainer is not None else 0
        rank = trainer.global_rank if trainer is not None else 0
        world = trainer.world_size if trainer is not None else 1
        lazy = not isinstance(src.x, Tensor) or not isinstance(self.target_pool, Tensor)
        return StepLoader(streams, start_step=start, rank=rank, world=world,
                          num_workers=self.num_workers if lazy else 0,
                          pin_memory=self.pin_memory and lazy)

    def _eval(self, names: list[str]) -> list[DataLoader]:
        return [self._loader(as_dataset(self.splits[n].x, self.splits[n].y),
                             self.eval_batch_size, False, False) for n in names]

    def val_dataloader(self) -> list[DataLoader]:
        """Source validation, target test (oracle curve only), and the unlabelled target
        pool (inputs only) for the label-free validators."""
        pool = self._loader(as_dataset(self.target_pool), self.eval_batch_size, False, False)
        return [*self._eval(["source_val", "target_test"]), pool]

    def input_batches(self, x: Tensor | LazyInputs, batch_size: int,
                      limit: int | None = None) -> Iterable[Tensor]:
        """The first ``limit`` (all if ``None``) inputs of ``x`` in order, batch by batch,
        as the evaluation loaders give them (for diagnostics and per-class scores)."""
        if isinstance(x, Tensor):
            return x[:limit].split(batch_size)
        if limit is not None and limit < len(x):
            x = x[torch.arange(limit)]
        return (b[0] for b in self._loader(as_dataset(x), batch_size, False, False))

    def test_dataloader(self) -> list[DataLoader]:
        return self._eval(["source_test", "target_test"])
