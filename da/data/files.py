"""Bring your own arrays: a source and a target file become two domains named after the files.

``dataset=files dataset.source_path=a.npz dataset.target_path=b.npz`` (formats: see
:mod:`da.data.array_readers`) is the task ``files:a->b``. The class count and input shape
come from the data, so the files are read once in ``__init__`` (cached per path) before the
model is built.

* Names (:func:`domain_names`): ``dataset.source_name`` / ``dataset.target_name``, else the
  file stems; when the stems coincide, the stem and the array key (``data_Xs``, ``data_Xt``:
  one file holding both domains), else the parent folder and the stem (``a_feat``,
  ``b_feat``), else ``source`` / ``target``. Characters other than letters, digits, ``.``,
  ``-`` and ``_`` become ``_`` (names go into run directories and ``task``). The roles
  ``source`` and ``target`` stay valid names for the two domains (older commands).
* Keys: ``dataset.source_x_key`` / ``source_y_key`` / ``target_x_key`` / ``target_y_key``
  (default: ``x_key`` / ``y_key``), so one ``.mat`` holding ``Xs, Ys, Xt, Yt`` is both
  files. The target test file is read with the target keys.
* ``preprocess`` (:mod:`da.data.preprocess`, per domain, without labels): ``none``
  (default), ``zscore``, ``jda``, ``l2``; for ``(N, D)`` features only. The target test
  file is transformed with the statistics of the target pool.

* Labels may be 0-based or 1-based: if the smallest label over all files is 1 and the
  largest equals the number of distinct labels, they are taken as 1-based and shifted;
  the choice is logged. Source and target must have the same number of classes.
* Arrays ``(N, D)`` are feature vectors, ``(N, C, H, W)`` images as stored (channels
  first; no transpose is guessed); ``(N, H, W)`` gets a channel axis.
* Orientation of a 2-D input matrix (``samples_as``, :func:`orient`): the JDA / TCA / COIL
  MATLAB releases store the *features as columns* (``Xs`` is ``d x n`` while ``Ys`` is
  ``n x 1``). With ``auto`` (default) the one orientation whose sample count equals the
  number of labels is used, and the log says when that is columns; a square matrix
  (``d = n``) is read with samples as rows, with a warning naming the option;
  ``rows`` / ``columns`` force it. When neither pairs, a one-line error names the option. ``uint8`` inputs
  are scaled to ``[0, 1]``; nothing else is normalised.
* Splits: the source file is both the source train split (of which the datamodule holds
  out a validation share) and its test split. The target file is the unlabelled pool; the
  target test split is ``target_test_path`` if given, else the target file itself
  (transductive, logged).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import torch

from da.data import preprocess as prep
from da.data.array_readers import read_arrays
from da.data.base import DomainFamily, Split
from da.errors import DAError

log = logging.getLogger("da.data")
SAMPLES_AS = ("auto", "rows", "columns")


def orient(x: np.ndarray, n_labels: int, samples_as: str, path: Path, key: str) -> np.ndarray:
    """``x`` with samples as rows: as stored, or transposed when its samples are columns
    (MATLAB's ``d x n`` convention of the JDA / TCA releases); see the module docstring."""
    if x.ndim != 2:
        if samples_as == "columns":
            raise DAError(f"{path}: dataset.samples_as=columns is for 2-D feature matrices, but "
                          f"{key} has shape {x.shape}; use dataset.samples_as=auto")
        return x
    rows, cols = x.shape[0] == n_labels, x.shape[1] == n_labels
    if samples_as == "auto":
        if rows and cols:
            log.warning("files: %s %s is square (%d x %d) with %d labels: samples read as rows; "
                        "set dataset.samples_as=columns if they are columns", path.name, key,
                        *x.shape, n_labels)
        samples_as = "rows" if rows else "columns" if cols else "neither"
        if samples_as == "columns":
            log.info("files: %s %s is %d x %d with %d labels: samples are its columns "
                     "(features as columns, MATLAB's d x n), transposed to %d x %d", path.name,
                     key, *x.shape, n_labels, x.shape[1], x.shape[0])
    if not {"rows": rows, "columns": cols}.get(samples_as, False):
        which = ("neither its rows nor its columns pair with them" if samples_as == "neither"
                 else f"its {samples_as} cannot be its samples (dataset.samples_as={samples_as})")
        raise DAError(f"{path}: {key} has shape {x.shape} but there are {n_labels} labels: "
                      f"{which}; check the x / y keys, or set dataset.samples_as=rows|columns|auto")
    return x.T if samples_as == "columns" else x


def _inputs(x: np.ndarray, path: Path) -> torch.Tensor:
    if x.ndim < 2:
        raise DAError(f"{path}: features must be (N, D) or (N, C, H, W), got shape {x.shape}")
    if x.ndim == 3:
        x = x[:, None]
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    return torch.tensor(np.asarray(x, np.float32) / scale)


def _labels(y: np.ndarray, path: Path) -> np.ndarray:
    yf = np.asarray(y, np.float64)
    if yf.size and not np.all(np.isfinite(yf) & (yf == np.round(yf))):
        raise DAError(f"{path}: labels must be integers (class indices), got e.g. "
                      f"{yf[~(yf == np.round(yf))][:3].tolist()}")
    return yf.astype(np.int64)


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name)) or "_"


def domain_names(source_path: str | None, target_path: str | None,
                 source_x_key: str | None = None, target_x_key: str | None = None,
                 source_name: str | None = None,
                 target_name: str | None = None) -> tuple[str, str]:
    """The two domains' names (see the module docstring); pure, so configs can call it."""
    if not source_path or not target_path:
        return source_name or "source", target_name or "target"
    s, t = Path(str(source_path)), Path(str(target_path))
    candidates = [(s.stem, t.stem)]
    if source_x_key and target_x_key:
        candidates.append((f"{s.stem}_{source_x_key}", f"{t.stem}_{target_x_key}"))
    candidates += [(f"{s.parent.name}_{s.stem}", f"{t.parent.name}_{t.stem}"),
                   ("source", "target")]
    auto = next(c for c in candidates if _clean(c[0]) != _clean(c[1]) or c[0] == "source")
    return _clean(source_name or auto[0]), _clean(target_name or auto[1])


class Files(DomainFamily):
    """Source / target arrays read from files; see the module docstring.

    Args:
        source_path, target_path: labelled source, (unlabelled in training) target.
        target_test_path: optional labelled target test file.
        x_key, y_key: array names (npz/pt/mat) or label column (csv), for both domains.
        source_x_key, source_y_key, target_x_key, target_y_key: per-domain names
            (default: ``x_key`` / ``y_key``).
        source_name, target_name: domain names (default: from the files).
        preprocess: ``none``, ``zscore``, ``jda`` or ``l2``.
        samples_as: ``auto``, ``rows`` or ``columns``: where a 2-D input matrix holds its
            samples (:func:`orient`).
    """

    name = "files"

    def __init__(self, source_path: str | None = None, target_path: str | None = None,
                 target_test_path: str | None = None, x_key: str | None = None,
                 y_key: str | None = None, source_x_key: str | None = None,
                 source_y_key: str | None = None, target_x_key: str | None = None,
                 target_y_key: str | None = None, source_name: str | None = None,
                 target_name: str | None = None, preprocess: str = "none",
                 samples_as: str = "auto") -> None:
        if not source_path or not target_path:
            raise DAError("dataset=files needs dataset.source_path=<file> and "
                          "dataset.target_path=<file> (.npz/.npy/.csv/.pt/.mat)")
        self.preprocess = prep.check_option(preprocess)
        if samples_as not in SAMPLES_AS:
            raise DAError(f"dataset.samples_as={samples_as} is not an option; choose one of "
                          f"{', '.join(SAMPLES_AS)}")
        keys = {"source": (source_x_key or x_key, source_y_key or y_key),
                "target": (target_x_key or x_key, target_y_key or y_key)}
        keys["target_test"] = keys["target"]
        self.domains = domain_names(source_path, target_path, keys["source"][0],
                                    keys["target"][0], source_name, target_name)
        paths = {"source": source_path, "target": target_path, "target_test": target_test_path}
        raw = {k: read_arrays(Path(p).expanduser().resolve(), *keys[k])
               for k, p in paths.items() if p}
        self.paths = {k: Path(p) for k, p in paths.items() if p}
        ys = {k: _labels(y, self.paths[k]) for k, (_, y) in raw.items()}
        allys = np.concatenate(list(ys.values()))
        one_based = allys.min() == 1 and allys.max() == len(np.unique(allys))
        log.info("files: labels are %s-based (min %d, max %d)", 1 if one_based else 0,
                 allys.min(), allys.max())
        if one_based:
            ys = {k: y - 1 for k, y in ys.items()}
        if allys.min() < int(one_based):
            raise DAError(f"labels must be >= 0 (or 1-based), got min {allys.min()} in "
                          f"{[str(self.paths[k]) for k, y in ys.items() if y.min() < 0][0]}")
        counts = {k: int(y.max()) + 1 for k, y in ys.items()}
        if len(set(counts.values())) > 1:
            raise DAError("class counts differ: " + ", ".join(
                f"{k} {self.paths[k]} has {n}" for k, n in counts.items())
                + "; source and target must share the label set")
        xs = self._preprocessed({k: orient(x, len(ys[k]), samples_as, self.paths[k],
                                           keys[k][0] or "the input array")
                                 for k, (x, _) in raw.items()})
        self._splits = {k: Split(_inputs(x, self.paths[k]), torch.from_numpy(ys[k]))
                        for k, x in xs.items()}
        shapes = {k: tuple(s.x.shape[1:]) for k, s in self._splits.items()}
        if len(set(shapes.values())) > 1:
            raise DAError("input shapes differ: " + ", ".join(
                f"{k} {self.paths[k]} has {s}" for k, s in shapes.items()))
        self.num_classes = counts["source"]
        self.input_shape = shapes["source"]
        if "target_test" not in self._splits:
            log.info("files: no dataset.target_test_path, so the target test split is the "
                     "target file itself (transductive evaluation)")
        log.info("files: %d classes, input shape %s, %s", self.num_classes, self.input_shape,
                 ", ".join(f"{k} {len(s)}" for k, s in self._splits.items()))

    def _preprocessed(self, xs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each domain's features transformed with its own (label-free) statistics; the
        target test file with those of the target pool."""
        if self.preprocess == "none":
            return xs
        bad = {k: x.shape for k, x in xs.items() if x.ndim != 2}
        if bad:
            raise DAError(f"dataset.preprocess={self.preprocess} is for (N, D) feature vectors, "
                          f"but {', '.join(f'{k} has shape {s}' for k, s in bad.items())}; "
                          "use dataset.preprocess=none")
        stats = {k: prep.fit(xs[k], self.preprocess) for k in ("source", "target")}
        stats["target_test"] = stats["target"]
        log.info("files: preprocess=%s, fitted per domain on its unlabelled inputs",
                 self.preprocess)
        return {k: prep.transform(x, self.preprocess, stats[k]).astype(np.float32)
                for k, x in xs.items()}

    def check_task(self, source: str, target: str) -> None:
        """The file-derived names, or the roles ``source`` / ``target`` (older commands)."""
        if (source, target) != ("source", "target"):
            super().check_task(source, target)

    def _role(self, domain: str) -> str:
        if domain in self.domains:
            return ("source", "target")[self.domains.index(domain)]
        return domain

    def _load(self, domain: str, split: str) -> Split:
        role = self._role(domain)
        if role == "target" and split == "test":
            return self._splits.get("target_test", self._splits["target"])
        return self._splits[role]
