"""A disk cache of computed feature tensors, keyed by everything that determines them.

An entry is ``<root>/<key>.pt``, the key the SHA-256 of the canonical JSON of the parts that
determine the tensor (for frozen backbones: architecture, weights checksum, the frozen prefix,
the input transform, the dataset, domain and split with its files' names and contents):
change any of them and the key misses. Each entry stores its parts and the SHA-256 of the
tensor's bytes; an entry that cannot be read, whose parts differ or whose bytes do not match
(a truncated write, a corrupted disk) is rebuilt, with a warning. Writes go to a temporary
file renamed into place, and a lock file serialises the builders of one key, so parallel sweep
jobs neither corrupt an entry nor compute it twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from da.errors import DAError
from da.fileio import write_atomic

log = logging.getLogger("da.cache")
FORMAT = 1


def canonical(parts: Mapping[str, Any]) -> str:
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(parts: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(parts).encode()).hexdigest()


def tensor_digest(t: Tensor) -> str:
    return hashlib.sha256(t.contiguous().view(torch.uint8).numpy().tobytes()).hexdigest()


class FeatureCache:
    """``get(parts, compute)``: the cached tensor for ``parts``, computed once.

    Args:
        root: the cache folder (``paths.cache_dir``); created when first written.
        enabled: ``False`` computes every time and writes nothing.
    """

    def __init__(self, root: str | Path | None, enabled: bool = True) -> None:
        self.enabled = bool(enabled) and root is not None
        self.root = Path(root).expanduser() if root is not None else None
        self.hits = self.misses = 0

    def path(self, parts: Mapping[str, Any]) -> Path:
        assert self.root is not None
        return self.root / f"{cache_key(parts)}.pt"

    def get(self, parts: Mapping[str, Any], compute: Callable[[], Tensor], desc: str = "") -> Tensor:
        if not self.enabled:
            return compute()
        path = self.path(parts)
        found = self._read(path, parts)
        if found is not None:
            self.hits += 1
            return found
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DAError(f"paths.cache_dir={self.root} cannot be created ({err.strerror}); "
                          "point paths.cache_dir at a writable folder or set "
                          "features.cache=false") from None
        with _locked(path.with_suffix(".lock")):
            found = self._read(path, parts)  # another job may have built it meanwhile
            if found is not None:
                self.hits += 1
                return found
            self.misses += 1
            log.info("feature cache: building %s (%s)", desc or "entry", path.name)
            t = compute().contiguous()
            self._write(path, parts, t)
            return t

    def _read(self, path: Path, parts: Mapping[str, Any]) -> Tensor | None:
        if not path.exists():
            return None
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            ok = (isinstance(blob, dict) and blob.get("format") == FORMAT
                  and blob.get("parts") == canonical(parts)
                  and torch.is_tensor(blob.get("tensor"))
                  and tensor_digest(blob["tensor"]) == blob.get("sha256"))
        except Exception as err:  # noqa: BLE001 - truncated or corrupt file
            ok, blob = False, None
            log.warning("feature cache: %s is unreadable (%s); rebuilding it", path,
                        type(err).__name__)
        else:
            if not ok:
                log.warning("feature cache: %s is corrupt or stale (checksum or key mismatch); "
                            "rebuilding it", path)
        return blob["tensor"] if ok else None

    @staticmethod
    def _write(path: Path, parts: Mapping[str, Any], t: Tensor) -> None:
        blob = {"format": FORMAT, "parts": canonical(parts), "sha256": tensor_digest(t),
                "tensor": t}
        write_atomic(path, lambda f: torch.save(blob, f))


@contextmanager
def _locked(path: Path):
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
