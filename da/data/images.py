"""Image collections decoded on demand: bring your own, or a benchmark preset.

Two layouts under ``root`` (``dataset.layout=auto`` takes lists where every task domain
has one, else folders):

* **image lists**, the form Office-31, Office-Home, VisDA-2017 and DomainNet are
  distributed in (TLlib, the DomainNet site): ``<root>/<list_dir>/<domain>.txt`` with one
  ``relative/path.jpg label`` line per image, paths relative to ``root`` (absolute paths
  are kept), labels ``0..K-1``. ``<domain>_train.txt`` + ``<domain>_test.txt`` give the
  domain its own test split; a single list is both splits.
* **folders**, torchvision's ImageFolder per domain: ``<root>/<domain>/<class>/*.jpg|png``
  (searched recursively inside a class folder). Labels index the sorted class-folder names,
  or the preset's class list. Both splits are all of a domain's images.

Presets (``dataset.preset``, or ``dataset=office31`` etc.) know the domain names, the
class list (``da/data/presets/<preset>.txt``, TLlib's order) and where each domain's list
and folder are, and look for the dataset folder under ``root`` by its usual names:

============  ===========================================  =============================
preset        domains (classes)                            lists under the dataset folder
============  ===========================================  =============================
office31      amazon, dslr, webcam (31)                    ``image_list/amazon.txt`` ...
office_home   art, clipart, product, real_world (65)       ``image_list/Art.txt`` ...
visda2017     synthetic, real (12)                         ``image_list/train.txt``,
                                                           ``image_list/validation.txt``
domainnet     clipart, infograph, painting, quickdraw,     ``image_list/clipart_train.txt``
              real, sketch (345)                           + ``_test.txt`` (or at the top)
============  ===========================================  =============================

Protocol: Office-31 / Office-Home / VisDA evaluate on the whole target domain (its list is
both the unlabelled pool and the test split, as in the published tables); DomainNet uses
its official train/test lists. The source and target must hold the same classes (the
labels of their training splits, and for lists the class folder behind each label).

Transforms (torchvision, TLlib's defaults): training ``Resize((resize, resize))`` ->
``RandomResizedCrop(crop)`` -> horizontal flip; evaluation ``Resize((resize, resize))`` ->
``CenterCrop(crop)``; then ``ToTensor`` and normalisation with ``mean`` / ``std`` (ImageNet
statistics by default). Images are decoded with PIL, converted to RGB, in loader workers
(``data.num_workers``; ``data.pin_memory`` for GPUs).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from da.data.base import DomainFamily, LazyInputs, Split
from da.errors import DAError
from da.fileio import sha256_of

log = logging.getLogger("da.data")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm",
                    ".pgm")
_LAYOUTS = ("auto", "list", "folder")


@dataclass(frozen=True)
class _DomainFiles:
    """Where one domain of a preset lives, relative to the dataset folder: candidate
    ``(list file, base folder of its paths)`` per split, and candidate image folders."""

    lists: dict[str, tuple[tuple[str, str], ...]]
    folders: tuple[str, ...]


def _one_list(list_file: str, *folders: str) -> _DomainFiles:
    """A domain whose single list is both its training and its test split."""
    cand = ((list_file, ""),)
    return _DomainFiles({"train": cand, "test": cand}, folders)


@dataclass(frozen=True)
class Preset:
    """A published benchmark: dataset folder names tried under ``root``, and its domains."""

    name: str
    folders: tuple[str, ...]
    domains: dict[str, _DomainFiles] = field(repr=False)
    label_base: int = 0  # the first class's number in the preset's list files

    @property
    def classes(self) -> tuple[str, ...]:
        return preset_classes(self.name)


@cache
def preset_classes(name: str) -> tuple[str, ...]:
    """The class names of a preset in label order (``da/data/presets/<name>.txt``)."""
    text = resources.files("da.data").joinpath("presets", f"{name}.txt").read_text()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


_DOMAINNET = ("clipart", "infograph", "painting", "quickdraw", "real", "sketch")
PRESETS = {
    "office31": Preset("office31", ("office31", "office-31", "Office31"), {
        d: _one_list(f"image_list/{d}.txt", f"{d}/images", d)
        for d in ("amazon", "dslr", "webcam")}),
    "office_home": Preset(
        "office_home", ("office_home", "office-home", "OfficeHome", "OfficeHomeDataset_10072016"), {
            "art": _one_list("image_list/Art.txt", "Art"),
            "clipart": _one_list("image_list/Clipart.txt", "Clipart"),
            "product": _one_list("image_list/Product.txt", "Product"),
            "real_world": _one_list("image_list/Real_World.txt", "Real_World", "Real World")}),
    # TLlib's lists hold paths from the dataset folder; the official ones sit in the split
    # folder with paths relative to it
    "visda2017": Preset("visda2017", ("visda2017", "visda-2017", "VisDA2017", "visda"), {
        d: _DomainFiles({s: ((f"image_list/{folder}.txt", ""),
                             (f"{folder}/image_list.txt", folder)) for s in ("train", "test")},
                        (folder,))
        for d, folder in (("synthetic", "train"), ("real", "validation"))}),
    # PACS: our copy and DomainBed's are <domain>/<class>/ folders; the official release has
    # the same folders under kfold/ and split files <domain>_{train,test}_kfold.txt (labels
    # 1..7, paths relative to kfold/) in pacs_label/
    "pacs": Preset("pacs", ("pacs", "PACS"), {
        d: _DomainFiles({s: tuple((f"{where}{d}_{s}_kfold.txt", "kfold")
                                  for where in ("pacs_label/", "splits/", "kfold/", ""))
                         for s in ("train", "test")}, (d, f"kfold/{d}"))
        for d in ("art_painting", "cartoon", "photo", "sketch")}, label_base=1),
    "domainnet": Preset("domainnet", ("domainnet", "DomainNet", "domain_net"), {
        d: _DomainFiles({s: ((f"image_list/{d}_{s}.txt", ""), (f"{d}_{s}.txt", ""))
                         for s in ("train", "test")}, (d,))
        for d in _DOMAINNET}),
}


@dataclass(frozen=True)
class _Listing:
    """One domain split: image paths relative to ``base``, labels, and for lists the class
    folder each label was seen under (``None`` where paths carry no folder)."""

    base: Path
    paths: list[str]
    labels: np.ndarray
    names: dict[int, str] | None = None


def _read_list(path: Path, base: Path, label_base: int = 0) -> _Listing:
    """``relative/path label`` lines (paths may contain spaces; the label is the last field);
    ``label_base=1`` for lists numbering classes from 1 (PACS's official split files). A
    leading ``/`` on paths that only exist relative to ``base`` is dropped (PACS's lists)."""
    paths, labels, names = [], [], {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=1)
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise DAError(f"{path} line {n}: expected 'relative/path.jpg label', got "
                          f"{line.strip()[:80]!r}")
        label = int(parts[1]) - label_base
        if label < 0:
            raise DAError(f"{path} line {n}: labels must be >= 0, got {label}")
        paths.append(parts[0].strip())
        labels.append(label)
        folder = Path(parts[0].strip()).parent.name
        if folder:
            names.setdefault(label, folder)
    if not paths:
        raise DAError(f"{path} lists no images; expected 'relative/path.jpg label' lines")
    if paths[0].startswith("/") and not Path(paths[0]).is_file() and (
            base / paths[0].lstrip("/")).is_file():
        paths = [p.lstrip("/") for p in paths]
    first = base / paths[0]
    if not first.is_file():
        raise DAError(f"{path}: its first image {first} does not exist; paths in the list must "
                      f"be relative to {base}")
    return _Listing(base, paths, np.asarray(labels, np.int64), names or None)


def _list_folder(domain_dir: Path, base: Path, classes: list[str]) -> _Listing:
    """Images of ``domain_dir/<class>/**`` labelled by the index of ``<class>`` in ``classes``."""
    paths, labels = [], []
    for label, cls in enumerate(classes):
        cls_dir = domain_dir / cls
        if not cls_dir.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(cls_dir, followlinks=True):
            dirnames.sort()
            for f in sorted(filenames):
                if f.lower().endswith(IMAGE_EXTENSIONS):
                    paths.append(os.path.relpath(os.path.join(dirpath, f), base))
                    labels.append(label)
    if not paths:
        raise DAError(f"{domain_dir} holds no images; expected {domain_dir}/<class>/*.jpg|png")
    return _Listing(base, paths, np.asarray(labels, np.int64))


def _class_folders(domain_dir: Path) -> list[str]:
    return sorted(p.name for p in domain_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


class ImageFiles(LazyInputs):
    """Image files ``base / paths[i]``, decoded with PIL and transformed on :meth:`get`."""

    def __init__(self, base: Path, paths: np.ndarray, train_transform, eval_transform) -> None:
        self.base = str(base)
        self.paths = paths  # bytes array: compact, and cheap to share with loader workers
        self.train_transform, self.eval_transform = train_transform, eval_transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, idx: Tensor) -> ImageFiles:
        return ImageFiles(Path(self.base), self.paths[np.asarray(idx)],
                          self.train_transform, self.eval_transform)

    def same_as(self, other: LazyInputs) -> bool:
        return (isinstance(other, ImageFiles) and self.base == other.base
                and np.array_equal(self.paths, other.paths))

    @classmethod
    def concat(cls, parts: list[ImageFiles]) -> ImageFiles:
        """Several domains' files (multi-source); paths become absolute where bases differ."""
        first = parts[0]
        if all(p.base == first.base for p in parts):
            paths = np.concatenate([p.paths for p in parts])
            return ImageFiles(Path(first.base), paths, first.train_transform, first.eval_transform)
        paths = np.concatenate([np.array([os.path.join(p.base, q.decode()).encode()
                                          for q in p.paths]) for p in parts])
        return ImageFiles(Path("/"), paths, first.train_transform, first.eval_transform)

    def cache_spec(self) -> dict:
        """What the evaluation transform of these files gives (the feature cache's key): the
        transform, and each file's path and content (SHA-256 of its bytes). Content, not size
        and modification time, so a copied or re-provisioned dataset (new mtimes, same bytes)
        still hits, while an edited image misses; hashing PACS's 136 MB takes about a second."""
        h = hashlib.sha256()
        for p in self.paths:
            full = os.path.join(self.base, p.decode())
            try:
                digest = sha256_of(full)
            except OSError:
                raise DAError(f"image {full} is missing; the dataset changed since it was "
                              "listed") from None
            h.update(p + b"\0" + digest.encode() + b"\n")
        return {"kind": "image_files", "base": self.base, "files": h.hexdigest(),
                "transform": repr(self.eval_transform)}

    def get(self, i: int, augment: bool) -> Tensor:
        from PIL import Image

        path = os.path.join(self.base, self.paths[i].decode())
        with Image.open(path) as im:
            rgb = im.convert("RGB")
        return (self.train_transform if augment else self.eval_transform)(rgb)


_INTERPOLATIONS = ("bilinear", "bicubic", "nearest")


def image_transforms(resize: int, crop: int, mean, std, interpolation: str = "bilinear",
                     augment: bool = True):
    """TLlib's default ``(train, eval)`` transforms; see the module docstring. Without
    ``augment`` training uses the evaluation transform (deterministic inputs, whose frozen
    features can be cached)."""
    from torchvision import transforms as T

    if interpolation not in _INTERPOLATIONS:
        raise DAError(f"dataset.interpolation={interpolation!r} is unknown; use one of "
                      f"{', '.join(_INTERPOLATIONS)}")
    mode = T.InterpolationMode(interpolation)
    norm = [T.ToTensor(), T.Normalize(list(mean), list(std))]
    evaluation = T.Compose([T.Resize((resize, resize), interpolation=mode), T.CenterCrop(crop),
                            *norm])
    if not augment:
        return evaluation, evaluation
    train = T.Compose([T.Resize((resize, resize), interpolation=mode),
                       T.RandomResizedCrop(crop, interpolation=mode), T.RandomHorizontalFlip(),
                       *norm])
    return train, evaluation


class Images(DomainFamily):
    """Images from lists or folders under ``root``; see the module docstring.

    Args:
        root: data folder. A preset looks for its dataset folder (e.g. ``office31/``) here,
            or takes ``root`` itself; without a preset ``root`` holds the domains.
        preset: ``office31``, ``office_home``, ``visda2017``, ``domainnet`` or ``None``.
        layout: ``auto``, ``list`` or ``folder``.
        list_dir: folder of the list files (without a preset).
        resize_size, crop_size: resize to a square, then crop (random / centre).
        mean, std: per-channel normalisation.
        source, target: the task; their files are listed (and checked) first.
    """

    name = "images"

    def __init__(self, root: str = "data", preset: str | None = None, layout: str = "auto",
                 list_dir: str = "image_list", resize_size: int = 256, crop_size: int = 224,
                 mean=IMAGENET_MEAN, std=IMAGENET_STD, source: str | list[str] | None = None,
                 target: str | None = None, interpolation: str = "bilinear",
                 augment: bool = True) -> None:
        if layout not in _LAYOUTS:
            raise DAError(f"dataset.layout must be one of {', '.join(_LAYOUTS)}, got {layout!r}")
        if preset is not None and preset not in PRESETS:
            raise DAError(f"dataset.preset={preset!r} is unknown; choose one of "
                          f"{', '.join(PRESETS)} or null (bring your own images)")
        if not 0 < crop_size <= resize_size:
            raise DAError(f"dataset.crop_size={crop_size} must be in (0, dataset.resize_size="
                          f"{resize_size}]")
        self.root = Path(root).expanduser()
        self.preset = PRESETS[preset] if preset else None
        self.layout, self.list_dir = layout, list_dir
        sources = [source] if source is None or isinstance(source, str) else list(source)
        self.sources = [str(x) for x in sources if x]
        self.source, self.target = (self.sources[0] if self.sources else None), target
        self.input_shape = (3, int(crop_size), int(crop_size))
        self.augment = bool(augment)
        self.train_transform, self.eval_transform = image_transforms(
            int(resize_size), int(crop_size), mean, std, interpolation, self.augment)
        self._listings: dict[tuple[str, str], _Listing] = {}
        self._splits: dict[int, Split] = {}
        if self.preset is not None:
            self.name = self.preset.name
            self.domains = tuple(self.preset.domains)
            self.classes: tuple[str, ...] = self.preset.classes
            self.num_classes = len(self.classes)
        else:
            # the class count shapes the model, so bring-your-own data is listed right away
            self._scan_own()

    # ---------------------------------------------------------------- bring your own
    def _own_lists(self) -> dict[str, dict[str, Path]]:
        """domain -> split -> list file, from ``<root>/<list_dir>/*.txt``: ``<d>_train.txt`` /
        ``<d>_test.txt`` where present, else ``<d>.txt`` for both splits."""
        found: dict[str, dict[str, Path]] = {}
        files = sorted((self.root / self.list_dir).glob("*.txt"))
        for f in files:
            for s in ("train", "test"):
                if f.stem.endswith(f"_{s}"):
                    found.setdefault(f.stem[: -len(s) - 1], {})[s] = f
        for f in files:
            if not f.stem.endswith(("_train", "_test")):
                entry = found.setdefault(f.stem, {})
                entry.setdefault("train", f)
                entry.setdefault("test", f)
        return {d: e for d, e in found.items() if "train" in e and "test" in e}

    def _scan_own(self) -> None:
        if not self.root.is_dir():
            raise DAError(f"dataset.root={self.root} does not exist: expected {self.root}/<domain>/"
                          f"<class>/*.jpg (folders) or {self.root}/{self.list_dir}/<domain>.txt "
                          f"('path label' lines, paths relative to {self.root})")
        lists = self._own_lists()
        layout = self.layout
        if layout == "auto":
            layout = "list" if lists else "folder"
        if layout == "list":
            domains = tuple(lists)
            where = f"{self.root}/{self.list_dir}/<domain>.txt ('path label' lines)"
        else:
            domains = tuple(d for d in _class_folders(self.root) if d != self.list_dir)
            where = f"{self.root}/<domain>/<class>/*.jpg"
        if not domains:
            raise DAError(f"no domains under {self.root}: expected {where}")
        self.domains = domains
        if not self.source or not self.target:
            raise DAError(f"dataset=images needs source=<domain> target=<domain>; domains under "
                          f"{self.root}: {', '.join(domains)}")
        for src in self.sources:
            self.check_task(src, self.target)
        task = (*self.sources, self.target)
        if layout == "list":
            for d in task:
                train = _read_list(lists[d]["train"], self.root)
                test = (train if lists[d]["test"] == lists[d]["train"]
                        else _read_list(lists[d]["test"], self.root))
                self._listings[(d, "train")], self._listings[(d, "test")] = train, test
            self.num_classes = 1 + max(int(lst.labels.max()) for lst in self._listings.values())
            self.classes = tuple(str(k) for k in range(self.num_classes))
        else:
            for src in self.sources:
                self.classes = tuple(self._folder_classes(
                    {d: self.root / d for d in (src, self.target)}))
            self.num_classes = len(self.classes)
            for d in task:
                lst = _list_folder(self.root / d, self.root, list(self.classes))
                self._listings[(d, "train")] = self._listings[(d, "test")] = lst
        self._check_same_classes()
        log.info("images: %s layout under %s, %d classes", layout, self.root, self.num_classes)

    def _folder_classes(self, dirs: dict[str, Path]) -> list[str]:
        """The class folders of the task domains, which must agree."""
        (a, dir_a), (b, dir_b) = dirs.items()
        ca, cb = _class_folders(dir_a), _class_folders(dir_b)
        if ca != cb:
            only = sorted(set(ca) ^ set(cb))[0]
            holder, lacker = (a, b) if only in ca else (b, a)
            raise DAError(f"class mismatch: {dirs[holder]}/{only} has no counterpart in "
                          f"{dirs[lacker]} ({len(ca)} vs {len(cb)} class folders); source and "
                          "target must hold the same classes")
        return ca

    # ---------------------------------------------------------------- presets
    def _preset_base(self, domain: str) -> Path:
        """The dataset folder: ``root/<usual name>`` or ``root``, the first holding ``domain``."""
        assert self.preset is not None
        files = self.preset.domains[domain]
        for base in (*(self.root / f for f in self.preset.folders), self.root):
            if any((base / lf).is_file() for lf, _ in files.lists["train"]) or any(
                    (base / f).is_dir() for f in files.folders):
                return base
        base = self.root / self.preset.folders[0]
        raise DAError(f"no {self.preset.name} {domain} images under {self.root}: expected "
                      f"{base}/{files.lists['train'][0][0]} ('path label' lines, paths relative "
                      f"to {base}) or {base}/{files.folders[0]}/<class>/*.jpg; set DA_DATA_DIR or "
                      "dataset.root to the folder holding it")

    def _scan_preset(self, domain: str) -> None:
        """List ``domain`` of the preset (both splits), in the task's layout."""
        assert self.preset is not None
        base = self._preset_base(domain)
        task = [self.preset.domains[d] for d in (self.source, self.target) if d]
        files = self.preset.domains[domain]

        def list_of(f: _DomainFiles, split: str) -> tuple[Path, Path] | None:
            return next(((base / lf, base / b) for lf, b in f.lists[split]
                         if (base / lf).is_file()), None)

        layout = self.layout
        if layout == "auto":
            layout = "list" if all(list_of(f, "train") for f in task or [files]) else "folder"
        if layout == "list":
            found = {s: list_of(files, s) for s in ("train", "test")}
            for s, where in found.items():
                if where is None:
                    raise DAError(f"no {s} list for {self.preset.name} domain {domain}: expected "
                                  f"{base}/{files.lists[s][0][0]} ('path label' lines, paths "
                                  f"relative to {base})")
            lb = self.preset.label_base
            train = _read_list(*found["train"], label_base=lb)
            test = (train if found["test"] == found["train"]
                    else _read_list(*found["test"], label_base=lb))
            self._listings[(domain, "train")], self._listings[(domain, "test")] = train, test
        else:
            folder = next((base / f for f in files.folders if (base / f).is_dir()), None)
            if folder is None:
                raise DAError(f"no {self.preset.name} domain {domain} under {base}: expected "
                              f"{base}/{files.folders[0]}/<class>/*.jpg or the list "
                              f"{base}/{files.lists['train'][0][0]}")
            unknown = sorted(set(_class_folders(folder)) - set(self.classes))
            if unknown:
                raise DAError(f"{folder}/{unknown[0]} is not a {self.preset.name} class; class "
                              f"folders must be named as in da/data/presets/{self.preset.name}.txt")
            lst = _list_folder(folder, base, list(self.classes))
            self._listings[(domain, "train")] = self._listings[(domain, "test")] = lst
            if files.lists["train"] != files.lists["test"] and self.preset.name != "pacs":
                log.warning("%s/%s: folders carry no train/test split, so the test split is the "
                            "whole domain", self.preset.name, domain)
        for s in ("train", "test"):
            top = int(self._listings[(domain, s)].labels.max())
            if top >= self.num_classes:
                raise DAError(f"{self.preset.name} {domain} {s} has label {top} but "
                              f"{self.preset.name} has {self.num_classes} classes (0.."
                              f"{self.num_classes - 1})")
        log.info("%s/%s: %s layout under %s", self.preset.name, domain, layout, base)

    # ---------------------------------------------------------------- both
    def _check_same_classes(self) -> None:
        """Source and target training splits must hold the same labels, and lists must put
        each label under the same class folder in both."""
        src, tgt = self._listings[(self.source, "train")], self._listings[(self.target, "train")]
        ls, lt = set(src.labels.tolist()), set(tgt.labels.tolist())
        if ls != lt:
            k = sorted(ls ^ lt)[0]
            has, lacks = (self.source, self.target) if k in ls else (self.target, self.source)
            raise DAError(f"class mismatch: {has} has class {self._class_name(k)} that {lacks} "
                          f"lacks ({len(ls)} vs {len(lt)} classes); source and target must hold "
                          "the same classes")
        if src.names and tgt.names:
            for k in sorted(ls):
                a, b = src.names.get(k), tgt.names.get(k)
                if a and b and a != b:
                    raise DAError(f"class mismatch: label {k} is {a!r} in the {self.source} list "
                                  f"but {b!r} in the {self.target} list; the lists number the "
                                  "classes differently")

    def _class_name(self, k: int) -> str:
        return f"{k} ({self.classes[k]})" if k < len(self.classes) else str(k)

    def _load(self, domain: str, split: str) -> Split:
        if (domain, split) not in self._listings:
            if self.preset is None:
                raise DAError(f"{domain} is not a domain of this task ({self.source} -> "
                              f"{self.target})")
            # list the whole task at once, so a class mismatch shows before any training
            for d in dict.fromkeys(x for x in (*self.sources, self.target, domain) if x):
                if (d, "train") not in self._listings:
                    self._scan_preset(d)
            if self.source and self.target:
                self._check_same_classes()
        lst = self._listings[(domain, split)]
        if id(lst) not in self._splits:  # one Split per listing: a single list's train and
            paths = np.array([p.encode() for p in lst.paths])  # test splits are one object
            log.info("%s/%s: %d images", self.name, domain, len(paths))
            self._splits[id(lst)] = Split(
                ImageFiles(lst.base, paths, self.train_transform, self.eval_transform),
                torch.from_numpy(lst.labels))
        return self._splits[id(lst)]
