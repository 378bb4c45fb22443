"""Amazon multi-domain sentiment (Blitzer et al., ACL 2007): ``dataset=amazon_reviews``.

Four domains (books, dvd, electronics, kitchen: 12 tasks), 1,000 positive + 1,000 negative
raw reviews each, read from ``<root>/blitzer2007/<domain>/{positive,negative}.parsed``
(the ``processed_acl`` ``<review>`` format; each review is ``"title. text"``, HTML
entities unescaped). Classes: ``negative`` (0), ``positive`` (1).

Protocols (``dataset.protocol``):

* ``transductive`` (default, most tables): the 2,000 labelled source reviews; the 2,000
  target reviews are the unlabelled pool *and* the test set.
* ``inductive`` (Ganin et al., JMLR 2016, Sec. 5.1.3): the 2,000 target reviews are the
  unlabelled training pool; the test set is a separate sample of the target domain, here
  the ``hatn`` crawl of that domain (``<root>/hatn/<domain>/review_{positive,negative}``,
  one review a line; 3,000 + 3,000) with every review that also occurs in the task's
  ``blitzer2007`` files, and repeats, removed (compared lower-cased, letters and digits
  only). The featurizer never sees it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from da.data.text import TextFamily
from da.data.text_readers import read_lines, read_reviews
from da.errors import DAError

log = logging.getLogger("da.data")
DOMAINS = ("books", "dvd", "electronics", "kitchen")
CLASSES = ("negative", "positive")
PROTOCOLS = ("transductive", "inductive")


def norm_key(text: str) -> str:
    """What two copies of one review share: lower-case letters and digits."""
    return re.sub(r"[^0-9a-z]+", "", text.lower())


class AmazonReviews(TextFamily):
    """See the module docstring. ``root``: the folder holding ``blitzer2007/`` (and, for the
    inductive protocol, ``hatn/``), or its parent (``amazon_reviews/`` is looked for)."""

    name = "amazon_reviews"
    domains = DOMAINS
    num_classes = 2

    def __init__(self, root: str = "data", protocol: str = "transductive",
                 source: str | None = None, target: str | None = None,
                 inputs: Any = None) -> None:
        if protocol not in PROTOCOLS:
            raise DAError(f"dataset.protocol={protocol!r}; use one of {', '.join(PROTOCOLS)}")
        super().__init__(inputs)
        self.root, self.protocol = Path(root).expanduser(), protocol
        self.source, self.target = source, target
        self.classes = CLASSES

    @property
    def task(self) -> tuple[str, str]:
        return str(self.source), str(self.target)

    def check_task(self, source: str, target: str) -> None:
        super().check_task(source, target)
        if (self.source, self.target) != (source, target):
            raise DAError(f"dataset=amazon_reviews was built for {self.source}->{self.target}, "
                          f"not {source}->{target}")

    @property
    def base(self) -> Path:
        for cand in (self.root / "amazon_reviews", self.root):
            if (cand / "blitzer2007").is_dir():
                return cand
        raise DAError(f"no Amazon reviews under {self.root}: expected {self.root}/amazon_reviews/"
                      "blitzer2007/<domain>/{positive,negative}.parsed; set DA_DATA_DIR or "
                      "dataset.root")

    def _where(self, role: str) -> str:
        if role == "target_test":
            return str(self.base / "hatn" / str(self.target))
        return str(self.base / "blitzer2007" / str(self.source if role == "source" else self.target))

    def _blitzer(self, domain: str) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for cls in CLASSES:
            reviews = read_reviews(self.base / "blitzer2007" / domain / f"{cls}.parsed")
            texts += reviews
            labels += [cls] * len(reviews)
        return texts, labels

    def _hatn(self, domain: str, seen: set[str]) -> tuple[list[str], list[str]]:
        texts, labels, dropped = [], [], 0
        for cls in CLASSES:
            for t in read_lines(self.base / "hatn" / domain / f"review_{cls}"):
                k = norm_key(t)
                if k in seen:
                    dropped += 1
                    continue
                seen.add(k)
                texts.append(t)
                labels.append(cls)
        log.info("amazon_reviews: %s test set %d hatn reviews (%d dropped: also in "
                 "blitzer2007 or repeated)", domain, len(texts), dropped)
        return texts, labels

    def _read(self) -> dict[str, tuple[list[str], list[str]]]:
        if not self.source or not self.target:
            raise DAError("dataset=amazon_reviews needs source=<domain> target=<domain>")
        out = {"source": self._blitzer(self.source), "target": self._blitzer(self.target)}
        if self.protocol == "inductive":
            seen = {norm_key(t) for role in ("source", "target") for t in out[role][0]}
            out["target_test"] = self._hatn(self.target, seen)
        return out
