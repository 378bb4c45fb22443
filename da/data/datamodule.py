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

Options for transfer learning: ``classes`` keeps a subset of the classes in every split,
relabelled ``0..K'-1`` in the given order (pretrain on digits 0-4, fine-tune on 5-9);
``val_pool_size`` caps the unlabelled pool the validators score at a fixed subset (by
``split_seed``); ``target_pool_size`` trains on a fixed subset of the unlabelled pool (by
``split_seed``: how much unlabelled target data a method needs; labelled target samples below
are still drawn from the whole split). ``target_labels_per_class=k`` draws ``k`` labelled
target samples per class from the target training split (fixed by ``split_seed``) for
semi-supervised DA. They stay in the unlabelled pool as well (as in the usual SSDA
protocols; with ``target_pool_size``, only if the subset holds them) and are served as a
third training stream ``"target_labeled"``; when the target test split is the training split
itself (transductive families), they are removed from it.

``align=coral`` maps every source split onto the target's second-order statistics before
training (:mod:`da.data.align`; vectors only, fitted on the source training split and the
unlabelled target pool), so any method can run on CORAL-aligned inputs.

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

from da.data import align as align_lib
from da.data.base import DomainFamily, LazyInputs, Split, concat_splits, same_data
from da.data.loader import DomainStream, MultiStream, StepLoader, as_dataset
from da.errors import DAError


class DADataModule(L.LightningDataModule):
    def __init__(self, family: DomainFamily, source: str | list[str], target: str,
                 batch_size: int = 64,
                 eval_batch_size: int = 512, source_val_fraction: float = 0.2,
                 split_seed: int = 0, num_workers: int = 0, pin_memory: bool = False,
                 seed: int = 0, classes: list[int] | None = None,
                 target_labels_per_class: int = 0, val_pool_size: int | None = None,
                 target_pool_size: int | None = None, align: str = "none",
                 align_reg: float = 1.0, source_sampling: str = "equal") -> None:
        super().__init__()
        self.sources = [source] if isinstance(source, str) else [str(s) for s in source]
        for src in self.sources:
            family.check_task(src, target)
        if source_sampling not in ("equal", "proportional"):
            raise DAError(f"data.source_sampling={source_sampling!r} is unknown; use equal (each "
                          "source domain the same share of a batch) or proportional (to its size)")
        self.source_sampling = source_sampling
        if batch_size < 1:
            raise DAError(f"data.batch_size must be >= 1, got {batch_size}")
        if not 0.0 < source_val_fraction < 1.0:
            raise DAError(f"data.source_val_fraction must be in (0, 1), got {source_val_fraction}")
        self.family, self.target = family, target
        self.source = "+".join(self.sources)
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.source_val_fraction, self.split_seed = source_val_fraction, split_seed
        self.num_workers, self.pin_memory = num_workers, pin_memory
        self.seed = seed
        self.classes = [int(c) for c in classes] if classes else None
        if self.classes is not None:
            bad = [c for c in self.classes if not 0 <= c < family.num_classes]
            if bad or len(set(self.classes)) != len(self.classes) or len(self.classes) < 2:
                raise DAError(f"data.classes={self.classes} must list at least 2 distinct "
                              f"classes of dataset {family.name} (0..{family.num_classes - 1})")
        if target_labels_per_class < 0:
            raise DAError(f"data.target_labels_per_class must be >= 0, got "
                          f"{target_labels_per_class}")
        self.target_labels_per_class = int(target_labels_per_class)
        if val_pool_size is not None and int(val_pool_size) < 1:
            raise DAError(f"data.val_pool_size must be >= 1 (or null for the whole target pool), "
                          f"got {val_pool_size}")
        self.val_pool_size = int(val_pool_size) if val_pool_size else None
        if target_pool_size is not None and int(target_pool_size) < 1:
            raise DAError(f"data.target_pool_size must be >= 1 (or null for the whole target "
                          f"training split), got {target_pool_size}")
        self.target_pool_size = int(target_pool_size) if target_pool_size is not None else None
        self.align, self.align_reg = align_lib.check_option(align), float(align_reg)
        self.splits: dict[str, Split] = {}

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else self.family.num_classes

    def _load(self, domain: str, split: str) -> Split:
        data = self.family.load(domain, split)
        if self.classes is None:
            return data
        lut = torch.full((self.family.num_classes,), -1, dtype=torch.long)
        lut[torch.tensor(self.classes)] = torch.arange(len(self.classes))
        keep = lut[data.y] >= 0
        return Split(data.x[keep], lut[data.y[keep]])

    def _labelled_target(self, tgt: Split) -> torch.Tensor:
        """Indices of ``k`` samples per class of the target training split."""
        k, g = self.target_labels_per_class, torch.Generator().manual_seed(self.split_seed + 7)
        perm = torch.randperm(len(tgt), generator=g)
        picked = []
        for c in range(self.num_classes):
            idx = perm[tgt.y[perm] == c][:k]
            if len(idx) < k:
                raise DAError(f"data.target_labels_per_class={k} but target class {c} has only "
                              f"{len(idx)} training samples; lower it")
            picked.append(idx)
        return torch.cat(picked).sort().values

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        # each source domain keeps its own hold-out (by split_seed; the first domain's draw is
        # the single-source one), so multi-source validation covers every source domain
        self.source_parts: list[Split] = []
        vals, tests, self.source_test_held_out = [], [], []
        for i, src in enumerate(self.sources):
            src_train = self._load(src, "train")
            g = torch.Generator().manual_seed(self.split_seed + 1009 * i)
            perm = torch.randperm(len(src_train), generator=g)
            n_val = max(1, int(round(self.source_val_fraction * len(src_train))))
            val_idx, tr_idx = perm[:n_val].sort().values, perm[n_val:].sort().values
            self.source_parts.append(Split(src_train.x[tr_idx], src_train.y[tr_idx]))
            vals.append(Split(src_train.x[val_idx], src_train.y[val_idx]))
            # a domain whose test split is its training split (PACS, Office, the Amazon
            # reviews) has no unseen test data: its held-out part measures the source instead
            # of samples the model trained on
            test = self._load(src, "test")
            same = same_data(test, src_train)
            tests.append(vals[-1] if same else test)
            self.source_test_held_out.append(same)
        tgt_train = self._load(self.target, "train")
        self.splits = {
            "source_train": concat_splits(self.source_parts),
            "source_val": concat_splits(vals),
            "source_test": concat_splits(tests),
            "target_test": self._load(self.target, "test"),
        }
        if self.target_labels_per_class:
            idx = self._labelled_target(tgt_train)
            self.splits["target_labeled"] = Split(tgt_train.x[idx], tgt_train.y[idx])
            test = self.splits["target_test"]
            if same_data(test, tgt_train):
                keep = torch.ones(len(test), dtype=torch.bool)
                keep[idx] = False  # transductive: never test on the labelled samples
                self.splits["target_test"] = Split(test.x[keep], test.y[keep])
        self.target_pool = self._capped_pool(tgt_train.x)  # labels deliberately dropped
        self._check_classes()
        if self.align != "none":
            self._align_source()

    @property
    def source_test_split(self) -> str:
        """What the source test metrics (``source_acc``) are measured on: ``source_test``,
        or ``source_val`` (the held-out part of the source training data) for source domains
        without a test split of their own; a mix names both."""
        held = self.source_test_held_out
        return "source_val" if all(held) else "source_test+source_val" if any(held) else \
            "source_test"

    def _capped_pool(self, x: Tensor | LazyInputs) -> Tensor | LazyInputs:
        """``target_pool_size``: a fixed subset (by ``split_seed``) of the target training
        inputs, in their order; the whole split when ``null``."""
        n = len(x)
        if self.target_pool_size is None or self.target_pool_size == n:
            return x
        if self.target_pool_size > n:
            raise DAError(f"data.target_pool_size={self.target_pool_size} but target "
                          f"{self.target!r} has {n} training samples; use at most {n} or null")
        return self._fixed_subset(x, self.target_pool_size, salt=13)

    def _fixed_subset(self, x: Tensor | LazyInputs, k: int, salt: int) -> Tensor | LazyInputs:
        """``k`` rows of ``x`` drawn by ``split_seed + salt`` (not the trial seed), in order."""
        g = torch.Generator().manual_seed(self.split_seed + salt)
        return x[torch.randperm(len(x), generator=g)[:k].sort().values]

    def _align_source(self) -> None:
        """``data.align``: map every source split onto the target (:mod:`da.data.align`),
        fitted on the source training split and the unlabelled target pool."""
        a = align_lib.fit_coral(self.splits["source_train"].x, self.target_pool, self.align_reg)
        for name in ("source_train", "source_val", "source_test"):
            s = self.splits[name]
            self.splits[name] = Split(align_lib.apply(s.x, a), s.y)
        self.source_parts = [Split(align_lib.apply(p.x, a), p.y) for p in self.source_parts]

    def _check_classes(self) -> None:
        k = self.num_classes
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
                          collate_fn=getattr(ds, "collate", None),
                          num_workers=self.num_workers, pin_memory=self.pin_memory,
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> StepLoader:
        self.per_device_batch()
        src = self.splits["source_train"]
        for name, n in (("source training set", len(src)), ("target pool", len(self.target_pool))):
            if n < self.batch_size and (name != "source training set" or len(self.sources) == 1):
                raise DAError(f"the {name} has {n} samples, fewer than data.batch_size="
                              f"{self.batch_size}; lower data.batch_size")
        streams = {
            "source": self._source_stream(),
            "target": DomainStream((self.target_pool,), self.batch_size, self.seed, salt=1),
        }
        if "target_labeled" in self.splits:
            lab = self.splits["target_labeled"]
            streams["target_labeled"] = DomainStream(
                (lab.x, lab.y), min(self.batch_size, len(lab)), self.seed, salt=2)
        trainer = self.trainer
        start = trainer.global_step if trainer is not None else 0
        rank = trainer.global_rank if trainer is not None else 0
        world = trainer.world_size if trainer is not None else 1
        lazy = not isinstance(src.x, Tensor) or not isinstance(self.target_pool, Tensor)
        return StepLoader(streams, start_step=start, rank=rank, world=world,
                          num_workers=self.num_workers if lazy else 0,
                          pin_memory=self.pin_memory and lazy)

    def source_batch_sizes(self) -> list[int]:
        """Rows of each source domain in a global batch: ``equal`` shares (the first domains
        take the remainder), or ``proportional`` to the domains' training sizes."""
        k, b = len(self.sources), self.batch_size
        if self.source_sampling == "equal":
            sizes = [b // k + (i < b % k) for i in range(k)]
        else:
            n = [len(p) for p in self.source_parts]
            exact = [b * m / sum(n) for m in n]
            sizes = [int(e) for e in exact]
            for i in sorted(range(k), key=lambda i: sizes[i] - exact[i])[:b - sum(sizes)]:
                sizes[i] += 1
        world = self.trainer.world_size if self.trainer is not None else 1
        for src, size, part in zip(self.sources, sizes, self.source_parts, strict=True):
            if size < 1 or size % world:
                raise DAError(f"data.batch_size={b} gives source {src} {size} rows per batch, "
                              f"which must be >= 1 and divide by the {world} process(es); use a "
                              f"multiple of {k * world}")
            if size > len(part):
                raise DAError(f"source {src} has {len(part)} training samples, fewer than its "
                              f"{size} rows per batch; lower data.batch_size")
        return sizes

    def _source_stream(self) -> DomainStream | MultiStream:
        """One source: a :class:`DomainStream`. Several: one stream per domain (salts 0,
        100, 101, ...), their rows concatenated per step (:meth:`source_batch_sizes`)."""
        if len(self.sources) == 1:
            src = self.source_parts[0]
            return DomainStream((src.x, src.y), self.batch_size, self.seed, salt=0)
        return MultiStream([DomainStream((p.x, p.y), size, self.seed, salt=0 if i == 0 else 99 + i)
                            for i, (p, size) in enumerate(zip(self.source_parts,
                                                              self.source_batch_sizes(),
                                                              strict=True))])

    def _eval(self, names: list[str]) -> list[DataLoader]:
        return [self._loader(as_dataset(self.splits[n].x, self.splits[n].y),
                             self.eval_batch_size, False, False) for n in names]

    def val_pool(self) -> Tensor | LazyInputs:
        """The unlabelled target inputs the label-free validators score: the pool, or a
        fixed subset of ``val_pool_size`` (by ``split_seed``; validation cost on big pools)."""
        n = len(self.target_pool)
        if not self.val_pool_size or self.val_pool_size >= n:
            return self.target_pool
        return self._fixed_subset(self.target_pool, self.val_pool_size, salt=11)

    def val_dataloader(self) -> list[DataLoader]:
        """Source validation, target test (oracle curve only), and the unlabelled target
        pool (inputs only; ``val_pool_size`` caps it) for the label-free validators."""
        pool = self._loader(as_dataset(self.val_pool()), self.eval_batch_size, False, False)
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
