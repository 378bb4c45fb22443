"""How a text backbone's inputs are made from raw text (``backbone.inputs``).

The text families (:mod:`da.data.text`) hold raw text and hand it to the chosen backbone's
*featurizer*, configured beside the backbone (``conf/backbone/{bow,hf,minilm}.yaml``):

* :class:`BagOfNgrams` (``backbone=bow``): scikit-learn's ``CountVectorizer`` /
  ``TfidfVectorizer``, unigrams + bigrams, the ``max_features`` most frequent (DANN: 5,000),
  counts or TF-IDF, ``binary`` presence. :meth:`fit` sees only the texts the family gives it:
  the labelled source training text and the unlabelled target pool, never a separate target
  test split. Vectors are dense float32 tensors, or :class:`SparseRows` (CSR, a row made
  dense per sample) when the dense matrix would exceed ``dense_limit_mb``.
* :class:`Tokens` (``backbone=hf|minilm``): the model's own ``AutoTokenizer``, truncation
  at ``max_length``, no padding; :class:`TokenIds` pads per batch. Tokenisation runs once
  per (tokenizer, ``max_length``, texts): held in memory for the process and, with
  ``cache_dir``, on disk (``<cache_dir>/tokens/<key>.npz``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from da.data.base import LazyInputs
from da.errors import DAError

log = logging.getLogger("da.data")
_WEIGHTINGS = ("count", "tfidf")


def digest(*parts: Any) -> str:
    """SHA-256 of texts / arrays / JSON-able values, in order."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(np.ascontiguousarray(p).tobytes())
        elif isinstance(p, list | tuple) and p and isinstance(p[0], str):
            for t in p:
                h.update(t.encode())
                h.update(b"\0")
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\1")
    return h.hexdigest()


class SparseRows(LazyInputs):
    """Rows of a CSR matrix, each made a dense float32 vector when read."""

    def __init__(self, matrix) -> None:
        self.matrix = matrix.tocsr().astype(np.float32)

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def __getitem__(self, idx: Tensor) -> SparseRows:
        return SparseRows(self.matrix[np.asarray(idx)])

    def get(self, i: int, augment: bool) -> Tensor:
        return torch.from_numpy(self.matrix[i].toarray()[0])

    def same_as(self, other: LazyInputs) -> bool:
        return (isinstance(other, SparseRows) and self.matrix.shape == other.matrix.shape
                and (self.matrix != other.matrix).nnz == 0)

    def numpy(self) -> np.ndarray:
        """All rows, dense (shallow methods take dense arrays)."""
        return self.matrix.toarray()


class BagOfNgrams:
    """Unigram + bigram vectors (see the module docstring)."""

    def __init__(self, max_features: int | None = 5000, ngram_max: int = 2,
                 weighting: str = "count", binary: bool = False, min_df: int = 1,
                 lowercase: bool = True, dense_limit_mb: float = 2048) -> None:
        if weighting not in _WEIGHTINGS:
            raise DAError(f"backbone.inputs.weighting={weighting!r}; use one of "
                          f"{', '.join(_WEIGHTINGS)}")
        if max_features is not None and int(max_features) < 1:
            raise DAError(f"backbone.max_features must be >= 1 or null, got {max_features}")
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        cls = TfidfVectorizer if weighting == "tfidf" else CountVectorizer
        self.vectorizer = cls(ngram_range=(1, int(ngram_max)), max_features=max_features,
                              binary=bool(binary), min_df=int(min_df), lowercase=lowercase,
                              dtype=np.float32)
        self.max_features = int(max_features) if max_features else None
        self.dense_limit_mb = float(dense_limit_mb)
        self.fitted = False

    def fixed_shape(self) -> tuple[int, ...] | None:
        """The vector length when known before fitting (``max_features``)."""
        return (self.max_features,) if self.max_features else None

    def input_shape(self) -> tuple[int, ...]:
        if self.max_features:
            return (self.max_features,)
        return (len(self.vectorizer.vocabulary_),)

    def fit(self, texts: list[str]) -> None:
        try:
            self.vectorizer.fit(texts)
        except ValueError as e:  # e.g. no token of two or more letters in any text
            raise DAError(f"bow: cannot build a vocabulary from the source and target text "
                          f"({e}); check the text column") from None
        self.fitted = True
        n = len(self.vectorizer.vocabulary_)
        if self.max_features and n < self.max_features:
            log.warning("bow: only %d n-grams in the fitted text, fewer than max_features=%d; "
                        "the remaining columns are zero", n, self.max_features)
        log.info("bow: %d n-grams fitted on %d texts", n, len(texts))

    def transform(self, texts: list[str], spec: dict) -> Tensor | LazyInputs:
        import scipy.sparse as sp

        m = self.vectorizer.transform(texts)
        width = self.input_shape()[0]
        if m.shape[1] < width:  # fewer n-grams than max_features: zero columns
            m = sp.hstack([m, sp.csr_matrix((m.shape[0], width - m.shape[1]))]).tocsr()
        if m.shape[0] * width * 4 / 2**20 > self.dense_limit_mb:
            return SparseRows(m)
        return torch.from_numpy(m.toarray().astype(np.float32))


class TokenIds(LazyInputs):
    """Token ids of tokenised texts (one flat array + offsets, cheap to share with loader
    workers), padded per batch with the tokenizer's pad id by :meth:`collate`."""

    def __init__(self, flat: np.ndarray, offsets: np.ndarray, pad_id: int, width: int,
                 spec: dict, rows: np.ndarray | None = None) -> None:
        self.flat, self.offsets, self.pad_id, self.width = flat, offsets, int(pad_id), width
        self.spec = spec
        self.rows = np.arange(len(offsets) - 1) if rows is None else rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, idx: Tensor) -> TokenIds:
        idx = np.asarray(idx)
        rows = self.rows[np.flatnonzero(idx)] if idx.dtype == bool else self.rows[idx]
        return TokenIds(self.flat, self.offsets, self.pad_id, self.width, self.spec, rows)

    def same_as(self, other: LazyInputs) -> bool:
        if not isinstance(other, TokenIds) or len(self) != len(other):
            return False
        if self.flat is other.flat and self.offsets is other.offsets:
            return np.array_equal(self.rows, other.rows)
        return all(np.array_equal(self.get(i, False), other.get(i, False))
                   for i in range(len(self)))

    def get(self, i: int, augment: bool) -> Tensor:
        r = self.rows[i]
        return torch.from_numpy(self.flat[self.offsets[r]:self.offsets[r + 1]].astype(np.int64))

    def collate(self, samples: list[Tensor]) -> Tensor:
        """``(B, max_length)`` ids, pad-filled: one width for every batch, so a source and a
        target batch concatenate; the backbone trims the all-pad columns of what it gets, so
        compute follows the longest text of the batch (dynamic padding)."""
        out = torch.full((len(samples), self.width), self.pad_id, dtype=torch.long)
        for j, s in enumerate(samples):
            out[j, :len(s)] = s
        return out

    def numpy(self):
        raise DAError("token ids are not feature vectors: shallow methods (sk_*) on text need "
                      "backbone=bow, or backbone=hf|minilm with finetune=frozen (cached "
                      "embeddings)")

    def cache_spec(self) -> dict:
        """What the frozen-feature cache keys these inputs by: dataset, domain, split, the
        texts' and the tokenizer's checksums, ``max_length`` and the rows taken."""
        return {**self.spec, "rows_sha256": digest(self.rows.astype(np.int64))}


_MEMORY: dict[str, tuple[np.ndarray, np.ndarray]] = {}


class Tokens:
    """A Hugging Face tokenizer's ids (see the module docstring).

    Args:
        name: hub name or local folder of the model (its tokenizer files).
        package, package_folder, sha256: the model shipped by a Python package
            (:func:`da.nets.text.model_folder`), e.g. ``backbone=minilm``.
        max_length: truncation length in tokens (special tokens included).
        cache_dir: where tokenised texts are kept between runs (``null``: memory only).
    """

    def __init__(self, name: str | None = None, max_length: int = 256,
                 package: str | None = None, package_folder: str | None = None,
                 sha256: str | None = None, cache_dir: str | None = None) -> None:
        if int(max_length) < 2:
            raise DAError(f"backbone.max_length must be >= 2 tokens, got {max_length}")
        self.name, self.package, self.package_folder = name, package, package_folder
        self.sha256, self.max_length = sha256, int(max_length)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._tokenizer = None
        self._tokenizer_sha: str | None = None

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            from da.nets.text import from_pretrained, model_folder

            folder = model_folder(self.name, self.package, self.package_folder, self.sha256)
            self._tokenizer = from_pretrained(AutoTokenizer, folder, "tokenizer")
            if self._tokenizer.pad_token_id is None:
                raise DAError(f"the tokenizer of {folder} has no pad token; give a model "
                              "whose tokenizer pads (BERT-style encoders do)")
            state = (self._tokenizer.backend_tokenizer.to_str()
                     if self._tokenizer.is_fast else sorted(self._tokenizer.get_vocab().items()))
            self._tokenizer_sha = digest(type(self._tokenizer).__name__, state)
        return self._tokenizer

    def fixed_shape(self) -> tuple[int, ...]:
        return (self.max_length,)

    def input_shape(self) -> tuple[int, ...]:
        return (self.max_length,)

    def fit(self, texts: list[str]) -> None:
        """Nothing to fit: the tokenizer comes with the model."""

    def transform(self, texts: list[str], spec: dict) -> TokenIds:
        tok = self.tokenizer
        key = digest(self._tokenizer_sha, self.max_length, texts)
        flat_offsets = _MEMORY.get(key) or self._from_disk(key)
        if flat_offsets is None:
            enc = tok(texts, truncation=True, max_length=self.max_length, padding=False,
                      return_attention_mask=False)["input_ids"]
            lengths = np.fromiter((len(e) for e in enc), np.int64, len(enc))
            flat_offsets = (np.concatenate([np.asarray(e, np.int32) for e in enc]),
                            np.concatenate([[0], np.cumsum(lengths)]))
            self._to_disk(key, flat_offsets)
            log.info("tokenised %d texts (%s), mean length %.0f tokens", len(texts),
                     spec.get("domain"), lengths.mean())
        _MEMORY[key] = flat_offsets
        full_spec = {**spec, "kind": "text_tokens", "texts_sha256": digest(texts),
                     "tokenizer_sha256": self._tokenizer_sha, "max_length": self.max_length}
        return TokenIds(*flat_offsets, tok.pad_token_id, self.max_length, full_spec)

    def _path(self, key: str) -> Path | None:
        return self.cache_dir / "tokens" / f"{key}.npz" if self.cache_dir else None

    def _from_disk(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path) as z:
                return z["flat"], z["offsets"]
        except Exception:  # a truncated or foreign file: tokenise again
            log.warning("unreadable token cache %s; tokenising again", path)
            return None

    def _to_disk(self, key: str, arrays: tuple[np.ndarray, np.ndarray]) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, flat=arrays[0], offsets=arrays[1])
        tmp.replace(path)  # atomic: a reader never sees half a file
