"""The dataset-family contract.

A *family* (``conf/dataset/<name>.yaml``) knows its domain names, class count and input
shape, and loads one domain's ``train`` or ``test`` split. Small benchmarks are decoded
once and held in memory as tensors, so the loader is never the bottleneck. Image
collections too large for that (Office-31, DomainNet, ...) give :class:`LazyInputs`
instead: references to files, decoded (and augmented) per sample by loader workers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor

from da.errors import DAError


class LazyInputs(ABC):
    """Inputs held as references (file paths) and decoded one sample at a time.

    Indexing with an index tensor selects a subset (still lazy), so a :class:`Split`
    of lazy inputs is split and permuted like one of tensors; :meth:`get` decodes.
    """

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __getitem__(self, idx: Tensor) -> LazyInputs:
        """The subset at ``idx``: 1-D int64 indices (in that order) or a boolean mask."""

    @abstractmethod
    def get(self, i: int, augment: bool) -> Tensor:
        """Sample ``i`` as a float tensor of ``input_shape``; ``augment`` selects the random
        training transform (drawn from torch's global generator) over the evaluation one."""

    @classmethod
    def concat(cls, parts: list[LazyInputs]) -> LazyInputs:
        """The inputs of ``parts`` in order (multi-source splits); override to support it."""
        raise DAError(f"{cls.__name__} cannot be concatenated, so it cannot serve several "
                      "source domains; use one source domain")

    def collate(self, samples: list[Tensor]) -> Tensor:
        """One batch from decoded samples; inputs of varying length (token ids) override
        this to pad per batch."""
        return torch.stack(samples)

    def same_as(self, other: LazyInputs) -> bool:
        """Whether ``other`` holds the same samples in the same order (a domain whose test
        split is its training split); ``False`` when a kind cannot tell."""
        return False


@dataclass(frozen=True)
class Split:
    """Inputs ``x (N, *input_shape)`` float32 and labels ``y (N,)`` int64 of one domain split.

    ``x`` is a tensor, or :class:`LazyInputs` for data decoded on demand.
    """

    x: Tensor | LazyInputs
    y: Tensor

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise DAError(f"split has {len(self.x)} inputs but {len(self.y)} labels; "
                          "inputs and labels must pair one to one")

    def __len__(self) -> int:
        return len(self.x)


def same_data(a: Split, b: Split) -> bool:
    """Whether two splits hold the same samples in the same order: a transductive domain,
    whose ``test`` split is its ``train`` split."""
    if a is b or a.x is b.x:
        return True
    if len(a) != len(b) or not torch.equal(a.y, b.y):
        return False
    if isinstance(a.x, Tensor) and isinstance(b.x, Tensor):
        return a.x.shape == b.x.shape and a.x.dtype == b.x.dtype and torch.equal(a.x, b.x)
    return type(a.x) is type(b.x) and a.x.same_as(b.x)


def concat_splits(parts: list[Split]) -> Split:
    """One split of several domains' (multi-source), in order; one part is returned as is."""
    if len(parts) == 1:
        return parts[0]
    y = torch.cat([p.y for p in parts])
    if all(isinstance(p.x, Tensor) for p in parts):
        return Split(torch.cat([p.x for p in parts]), y)
    kinds = {type(p.x) for p in parts}
    if len(kinds) != 1:
        raise DAError("source domains hold inputs of different kinds (tensors and files); "
                      "multi-source needs one kind")
    return Split(kinds.pop().concat([p.x for p in parts]), y)


class DomainFamily:
    """Base class of dataset families.

    Subclasses set ``name``, ``domains``, ``num_classes`` and ``input_shape`` and
    implement :meth:`_load`.
    """

    name: str = "family"
    domains: tuple[str, ...] = ()
    num_classes: int = 0
    input_shape: tuple[int, ...] = ()

    def check_task(self, source: str, target: str) -> None:
        """Reject unknown domains and ``source == target`` before anything is loaded."""
        valid = ", ".join(self.domains)
        for role, dom in (("source", source), ("target", target)):
            if dom not in self.domains:
                raise DAError(f"{role}={dom!r} is not a domain of dataset={self.name}; "
                              f"valid domains: {valid}")
        if source == target:
            raise DAError(f"source and target are both {source!r}; pick two different "
                          f"domains of dataset={self.name}: {valid}")

    def load(self, domain: str, split: str) -> Split:
        """Load ``split`` (``train`` or ``test``) of ``domain``."""
        if split not in ("train", "test"):
            raise DAError(f"split must be 'train' or 'test', got {split!r}")
        return self._load(domain, split)

    def _load(self, domain: str, split: str) -> Split:  # pragma: no cover - abstract
        raise NotImplementedError
