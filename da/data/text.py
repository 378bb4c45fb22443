"""Text domains: bring your own labelled text (``dataset=text``) or the Amazon reviews.

A text family holds raw text; the chosen backbone's featurizer (``backbone.inputs``,
:mod:`da.data.text_features`) turns it into inputs: bag-of-n-gram vectors (``backbone=bow``)
or token ids (``backbone=hf|minilm``). The featurizer is fitted on the *labelled source
training text and the unlabelled target pool* (the target ``train`` split) only; a separate
target test split is transformed, never fitted on.

Labels are strings in the files, mapped to class ids shared by both domains (sorted; as
numbers when they all are integers); a class present in one domain only is an error.

**Bring your own** (:class:`Text`): ``dataset.source_path`` / ``dataset.target_path`` (and
optionally ``dataset.target_test_path``), each a ``.csv`` / ``.tsv`` / ``.jsonl`` file with
``dataset.text_column`` and ``dataset.label_column`` or a folder of ``<class>/*.txt``
(:mod:`da.data.text_readers`). Domains are named after the files as ``dataset=files`` does.
Without ``target_test_path`` the target file is also the test split (transductive).
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from da.data.base import DomainFamily, Split
from da.data.files import domain_names
from da.data.text_readers import read_text_domain
from da.errors import DAError

log = logging.getLogger("da.data")
_ROLES = ("source", "target", "target_test")


def class_ids(labels: dict[str, list[str]], where: dict[str, str]) -> tuple[str, ...]:
    """The class names in id order; every class must occur in the source and the target
    training text (and a test split may hold no class they lack)."""
    sets = {k: set(v) for k, v in labels.items()}
    src, tgt = sets["source"], sets["target"]
    for role, other in (("source", "target"), ("target", "source")):
        extra = sorted(sets[role] - sets[other])
        if extra:
            raise DAError(f"class {extra[0]!r} occurs in {where[role]} but not in "
                          f"{where[other]}; both domains must hold the same classes")
    if "target_test" in sets and sets["target_test"] - src:
        extra = sorted(sets["target_test"] - src)[0]
        raise DAError(f"class {extra!r} of {where['target_test']} occurs in neither training "
                      "domain")
    names = sorted(src | tgt)
    if all(n.lstrip("-").isdigit() for n in names):
        names.sort(key=int)
    if len(names) < 2:
        raise DAError(f"{where['source']} holds a single class {names[0]!r}; classification "
                      "needs at least two")
    return tuple(names)


class TextFamily(DomainFamily):
    """Raw text per role (source, target, target test), featurized by ``inputs``.

    Subclasses implement :meth:`_read` (``role -> (texts, label names)``) and :meth:`_where`.
    """

    def __init__(self, inputs: Any = None) -> None:
        if inputs is None or not hasattr(inputs, "transform"):
            raise DAError(f"dataset={self.name} needs a text backbone: backbone=bow, "
                          "backbone=hf backbone.name=<model> or backbone=minilm")
        self.featurizer = inputs
        self._splits: dict[str, Split] | None = None
        self.classes: tuple[str, ...] = ()

    # ---------------------------------------------------------------- subclasses
    def _read(self) -> dict[str, tuple[list[str], list[str]]]:  # pragma: no cover
        raise NotImplementedError

    def _where(self, role: str) -> str:  # pragma: no cover
        raise NotImplementedError

    @property
    def task(self) -> tuple[str, str]:
        """The ``(source, target)`` domain names."""
        return self.domains[0], self.domains[1]

    def _spec(self, role: str) -> dict:
        return {"dataset": self.name, "domain": self.task[role != "source"],
                "split": "test" if role == "target_test" else "train"}

    # ---------------------------------------------------------------- shared
    @property
    def input_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        shape = self.featurizer.fixed_shape()
        if shape is None:
            self.prepare()
            shape = self.featurizer.input_shape()
        return tuple(shape)

    def prepare(self) -> dict[str, Split]:
        """Read, map labels, fit the featurizer on source + target pool, transform."""
        if self._splits is not None:
            return self._splits
        raw = self._read()
        where = {k: self._where(k) for k in raw}
        names = class_ids({k: y for k, (_, y) in raw.items()}, where)
        if self.classes and tuple(self.classes) != names:
            raise DAError(f"{where['source']}: classes {list(names)} but dataset={self.name} "
                          f"has {list(self.classes)}")
        self.classes, self.num_classes = names, len(names)
        lut = {n: i for i, n in enumerate(names)}
        self.featurizer.fit(raw["source"][0] + raw["target"][0])
        self._splits = {}
        for role, (texts, labels) in raw.items():
            x = self.featurizer.transform(texts, self._spec(role))
            self._splits[role] = Split(x, torch.tensor([lut[y] for y in labels]))
        log.info("%s: %d classes %s; %s", self.name, len(names), list(names),
                 ", ".join(f"{k} {len(s)}" for k, s in self._splits.items()))
        return self._splits

    def _role(self, domain: str, split: str) -> str:
        if domain not in self.task:
            raise DAError(f"{domain!r} is not a domain of this task {self.task}")
        if domain == self.task[0]:
            return "source"
        return "target_test" if split == "test" else "target"

    def _load(self, domain: str, split: str) -> Split:
        splits = self.prepare()
        role = self._role(domain, split)
        return splits.get(role, splits["target"] if role == "target_test" else None)


class Text(TextFamily):
    """Bring your own labelled text; see the module docstring."""

    name = "text"

    def __init__(self, source_path: str | None = None, target_path: str | None = None,
                 target_test_path: str | None = None, text_column: str = "text",
                 label_column: str = "label", source_name: str | None = None,
                 target_name: str | None = None, inputs: Any = None) -> None:
        if not source_path or not target_path:
            raise DAError("dataset=text needs dataset.source_path=<file or folder> and "
                          "dataset.target_path=<file or folder> (.csv/.tsv/.jsonl with "
                          "text,label columns, or <class>/*.txt folders)")
        super().__init__(inputs)
        self.paths = {"source": source_path, "target": target_path,
                      "target_test": target_test_path}
        self.columns = (text_column, label_column)
        self.domains = domain_names(source_path, target_path, None, None, source_name,
                                    target_name)
        # the class count shapes the model: read (and featurize) the text right away
        self.prepare()

    def _where(self, role: str) -> str:
        return str(self.paths[role])

    def _read(self) -> dict[str, tuple[list[str], list[str]]]:
        out = {k: read_text_domain(p, *self.columns) for k, p in self.paths.items() if p}
        if "target_test" not in out:
            log.info("text: no dataset.target_test_path, so the target test split is the "
                     "target file itself (transductive evaluation)")
        return out

    def check_task(self, source: str, target: str) -> None:
        if (source, target) != ("source", "target"):
            super().check_task(source, target)

    def _role(self, domain: str, split: str) -> str:
        domain = {"source": self.domains[0], "target": self.domains[1]}.get(domain, domain)
        return super()._role(domain, split)
