"""The digit benchmarks: MNIST, USPS, MNIST-M and SVHN, read from their published files.

Files are looked up under ``root`` (``paths.data_dir``, i.e. ``$DA_DATA_DIR``), in the
usual layouts (first match wins):

* ``mnist``: ``mnist/`` or ``MNIST/raw/`` with ``{train,t10k}-{images-idx3,labels-idx1}-ubyte``
  (``.gz`` or raw); 60,000 train / 10,000 test.
* ``usps``: ``usps/usps.h5`` (``train/data``, ``train/target``, ...), or the ESL text files
  ``usps/zip.{train,test}[.gz]``, or LIBSVM ``usps/usps{,.t}.bz2``; 7,291 / 2,007.
* ``mnist_m``: ``mnist_m/mnist_m_{train,train20k,test}.npz`` (``x`` uint8 (N,32,32,3), ``y``)
  or the release layout ``mnist_m/mnist_m_{train,test}/*.png`` + ``mnist_m_{split}_labels.txt``.
* ``svhn``: ``svhn/{train,test}_32x32.mat`` (``X`` (32,32,3,N), ``y`` with 10 meaning 0).

Each domain keeps its published train/test split; the full train set is used (no 2,000 /
1,800 subsampling of the older MNIST<->USPS protocol). Images are resized to ``image_size``
(``resize``: ``bilinear`` antialiased on floats by default; ``pil_bicubic`` is PIL's
bicubic on uint8 images, what TLlib's ``Resize`` does), converted to ``channels`` (grey ->
RGB by repeating, RGB -> grey by ITU-R 601 luminance) and normalised (``normalize``):
``half`` maps ``[0, 1]`` to ``[-1, 1]`` (mean 0.5, std 0.5, TLlib); ``pixel_mean`` subtracts
the per-pixel mean image of the task's two training sets, target pool included (no labels
involved), from ``[0, 1]`` inputs (DANN's MNIST-M preprocessing); ``channel_mean`` subtracts
the mean of each channel over the same images (the TF replication of DANN). ``binarize`` lists domains
whose images become 0 / 1 (``pixel > 0``) before anything else: MNIST-M was blended from
binarised MNIST digits, and the widely used TensorFlow replication of DANN binarises its
MNIST source the same way. ``crop_or_pad`` lists domains brought to ``image_size`` by a
centred crop or zero padding instead of a resize: MNIST-M's 32x32 images are MNIST's 28x28
digits padded by 2 pixels (checked on the shared copy), so ``crop_or_pad=[mnist_m]`` at 28 px
gives the paper's geometry where a resize shrinks the MNIST-M digits by 1/8.
``image_size`` / ``channels`` left at ``null`` follow the task: 32 px RGB when MNIST-M or
SVHN is involved, else 28 px grey (MNIST<->USPS).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from da.data import digit_readers as rd
from da.data.base import DomainFamily, Split
from da.data.download import download as fetch
from da.errors import DAError

log = logging.getLogger("da.data")
_MNIST_URLS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/")
_USPS_URLS = ("https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/",)
_SVHN_URLS = ("http://ufldl.stanford.edu/housenumbers/",)
# domain -> [(file name, mirrors, algorithm, checksum)], saved as root/<domain>/<file name>.
# MNIST: SHA-256 of the official files. Three were verified here with sha256sum against
# byte-identical local copies (t10k-images, t10k-labels, train-labels); train-images' (the
# local copy is a rebuilt file) was checked against several public download manifests.
# SVHN and USPS publish no SHA-256: their MD5s are the ones torchvision and other public
# loaders use (USPS's checked against several of them).
_DOWNLOADS = {
    "mnist": [
        ("train-images-idx3-ubyte.gz", _MNIST_URLS, "sha256",
         "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        ("train-labels-idx1-ubyte.gz", _MNIST_URLS, "sha256",
         "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        ("t10k-images-idx3-ubyte.gz", _MNIST_URLS, "sha256",
         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        ("t10k-labels-idx1-ubyte.gz", _MNIST_URLS, "sha256",
         "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ],
    "usps": [
        ("usps.bz2", _USPS_URLS, "md5", "ec16c51db3855ca6c91edd34d0e9b197"),
        ("usps.t.bz2", _USPS_URLS, "md5", "8ea070ee2aca1ac39742fdd1ef5ed118"),
    ],
    "svhn": [
        ("train_32x32.mat", _SVHN_URLS, "md5", "e26dedcc434d2e4c54c9b2d4a06d8373"),
        ("test_32x32.mat", _SVHN_URLS, "md5", "eb5a983be6a315427106f1b5bde2f54d"),
    ],
}
_LAYOUT = {
    "mnist": "mnist/{train,t10k}-images-idx3-ubyte[.gz] + -labels-idx1-ubyte[.gz]",
    "usps": "usps/usps.h5 or usps/zip.{train,test}[.gz] or usps/usps{,.t}.bz2",
    "mnist_m": "mnist_m/mnist_m_{train,train20k,test}.npz or mnist_m/mnist_m_{train,test}/*.png "
               "+ mnist_m_{train,test}_labels.txt",
    "svhn": "svhn/{train,test}_32x32.mat",
}


def _first(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def _find(root: Path, domain: str, split: str):
    """``(reader, args)`` for the first layout present, else ``None``."""
    if domain == "mnist":
        s = "train" if split == "train" else "t10k"
        for d in (root / "mnist", root / "MNIST" / "raw", root):
            im = _first(d / f"{s}-images-idx3-ubyte.gz", d / f"{s}-images-idx3-ubyte")
            lb = _first(d / f"{s}-labels-idx1-ubyte.gz", d / f"{s}-labels-idx1-ubyte")
            if im and lb:
                return rd.read_mnist, (im, lb)
    elif domain == "usps":
        d = root / "usps"
        if (d / "usps.h5").exists():
            return rd.read_usps_h5, (d / "usps.h5", split)
        if esl := _first(d / f"zip.{split}.gz", d / f"zip.{split}"):
            return rd.read_usps_esl, (esl,)
        if (svm := d / ("usps.bz2" if split == "train" else "usps.t.bz2")).exists():
            return rd.read_usps_libsvm, (svm,)
    elif domain == "mnist_m":
        d = root / "mnist_m"
        # the shared copy keeps the first 20k training images as mnist_m_train20k.npz
        extra = (d / "mnist_m_train20k.npz",) if split == "train" else ()
        if npz := _first(d / f"mnist_m_{split}.npz", *extra):
            return rd.read_npz_images, (npz,)
        for base in (d, d / "mnist_m"):
            folder, txt = base / f"mnist_m_{split}", base / f"mnist_m_{split}_labels.txt"
            if folder.is_dir() and txt.is_file():
                return rd.read_png_folder, (folder, txt)
    elif domain == "svhn":
        dirs = (root / "svhn", root / "SVHN", root)
        if mat := _first(*(d / f"{split}_32x32.mat" for d in dirs)):
            return rd.read_svhn_mat, (mat,)
    return None


RESIZE = ("bilinear", "pil_bicubic", "pil_bilinear")
NORMALIZE = ("half", "pixel_mean", "channel_mean")


def _check_resize(resize: str) -> None:
    if resize not in RESIZE:
        raise DAError(f"dataset.resize={resize!r} is not a resize filter; choose from "
                      f"{', '.join(RESIZE)}")


def _pil_resize(x: np.ndarray, size: int, resample: int) -> np.ndarray:
    """``(N, H, W, C)`` uint8 -> ``(N, size, size, C)`` uint8, image by image with PIL: the
    resize of torchvision's ``Resize`` on PIL images (TLlib's digits pipeline), exactly."""
    from PIL import Image

    out = np.empty((len(x), size, size, x.shape[-1]), np.uint8)
    for i, a in enumerate(x):
        img = Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a)
        out[i] = np.asarray(img.resize((size, size), resample)).reshape(size, size, -1)
    return out


def center_fit(x: np.ndarray, size: int) -> np.ndarray:
    """``(N, H, W, C)`` images centre-cropped or zero-padded to ``size x size`` (per side: the
    extra row or column of an odd margin goes to the bottom / right)."""
    out = x
    for axis in (1, 2):
        n = out.shape[axis]
        if n > size:
            lo = (n - size) // 2
            out = out.take(np.arange(lo, lo + size), axis=axis)
        elif n < size:
            pad = [(0, 0)] * out.ndim
            pad[axis] = ((size - n) // 2, size - n - (size - n) // 2)
            out = np.pad(out, pad)
    return out


def to_unit(x: np.ndarray, size: int, channels: int, resize: str = "bilinear",
            chunk: int = 8192) -> torch.Tensor:
    """``(N, H, W, C)`` uint8 or [0,1] images -> ``(N, channels, size, size)`` in ``[0, 1]``.

    ``resize``: ``bilinear`` (antialiased, on floats; the default), or ``pil_bicubic`` /
    ``pil_bilinear``: PIL's filter on uint8 images (floats are rounded to uint8 first), as
    torchvision's ``Resize`` does on PIL images. Grey -> RGB repeats the channel; RGB ->
    grey is ITU-R 601 luminance.
    """
    _check_resize(resize)
    if resize.startswith("pil_") and x.shape[1:3] != (size, size):
        from PIL import Image

        if x.dtype != np.uint8:
            x = np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
        filt = Image.Resampling.BICUBIC if resize == "pil_bicubic" else Image.Resampling.BILINEAR
        x = _pil_resize(x, size, filt)
    out = torch.empty(len(x), channels, size, size)
    lum = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    for i in range(0, len(x), chunk):
        t = torch.from_numpy(np.ascontiguousarray(x[i:i + chunk])).permute(0, 3, 1, 2).float()
        if x.dtype == np.uint8:
            t = t / 255.0
        if t.shape[1] == 3 and channels == 1:
            t = (t * lum).sum(1, keepdim=True)
        elif t.shape[1] == 1 and channels == 3:
            t = t.expand(-1, 3, -1, -1)
        if t.shape[-2:] != (size, size):
            t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False,
                              antialias=True).clamp(0, 1)
        out[i:i + chunk] = t
    return out


def to_tensor(x: np.ndarray, size: int, channels: int, resize: str = "bilinear") -> torch.Tensor:
    """:func:`to_unit`, then normalised to mean 0.5, std 0.5, i.e. to ``[-1, 1]``."""
    return to_unit(x, size, channels, resize).sub_(0.5).div_(0.5)


class Digits(DomainFamily):
    """MNIST / USPS / MNIST-M / SVHN from files under ``root``; see the module docstring.

    Args:
        root: data folder (``paths.data_dir``).
        image_size, channels: output geometry; ``None`` chooses by ``source``/``target``.
        source, target: the task (only used to pick the default geometry).
        download: fetch missing MNIST / USPS / SVHN files into ``root`` (checked).
        resize: ``bilinear``, ``pil_bicubic`` or ``pil_bilinear`` (see :func:`to_unit`).
        normalize: ``half`` (to ``[-1, 1]``), ``pixel_mean`` (minus the mean image of the
            source and target training sets) or ``channel_mean`` (minus their channel means).
        binarize: domains whose images are binarised (``pixel > 0``) as they are read.
        crop_or_pad: domains centre-cropped / zero-padded to ``image_size`` (not resized).
    """

    name = "digits"
    domains = ("mnist", "usps", "mnist_m", "svhn")
    num_classes = 10

    def __init__(self, root: str = "data", image_size: int | None = None,
                 channels: int | None = None, source: str | None = None,
                 target: str | None = None, download: bool = False,
                 resize: str = "bilinear", normalize: str = "half",
                 binarize: list[str] | tuple[str, ...] = (),
                 crop_or_pad: list[str] | tuple[str, ...] = ()) -> None:
        rgb = bool({source, target} & {"mnist_m", "svhn"})
        _check_resize(resize)
        if normalize not in NORMALIZE:
            raise DAError(f"dataset.normalize={normalize!r} is unknown; choose from "
                          f"{', '.join(NORMALIZE)}")
        if normalize.endswith("_mean") and not (source and target):
            raise DAError(f"dataset.normalize={normalize} needs the task (source and target) to "
                          "compute the mean image of its training sets")
        for key, listed, example in (("binarize", binarize, "mnist"),
                                     ("crop_or_pad", crop_or_pad, "mnist_m")):
            unknown = sorted(set(listed or ()) - set(self.domains))
            if unknown:
                raise DAError(f"dataset.{key}={list(listed)} names no digits domain {unknown}; "
                              f"choose from {', '.join(self.domains)} (e.g. "
                              f"dataset.{key}=[{example}])")
        self.resize, self.normalize = resize, normalize
        self.binarize = frozenset(binarize or ())
        self.crop_or_pad = frozenset(crop_or_pad or ())
        self.task = (source, target)
        self._mean: torch.Tensor | None = None
        self._decoded: dict[tuple[str, str], tuple[torch.Tensor, torch.Tensor]] = {}
        self.root = Path(root).expanduser()
        self.image_size = int(image_size or (32 if rgb else 28))
        self.channels = int(channels or (3 if rgb else 1))
        if self.channels not in (1, 3):
            raise DAError(f"dataset.channels must be 1 or 3, got {self.channels}")
        self.input_shape = (self.channels, self.image_size, self.image_size)
        self.download = download
        self._cache: dict[tuple[str, str], Split] = {}

    def _fetch(self, domain: str) -> None:
        if domain not in _DOWNLOADS:
            raise DAError(f"{domain} has no public direct download; get it from its authors and "
                          f"put it under {self.root} as {_LAYOUT[domain]}")
        for name, mirrors, algo, digest in _DOWNLOADS[domain]:
            for i, base in enumerate(mirrors):
                try:
                    fetch(base + name, self.root / domain / name, **{algo: digest})
                    break
                except DAError:
                    if i == len(mirrors) - 1:
                        raise
                    log.warning("download from %s failed; trying the next mirror", base)

    def _read(self, domain: str, split: str) -> tuple[np.ndarray, np.ndarray]:
        found = _find(self.root, domain, split)
        if found is None and self.download:
            self._fetch(domain)
            found = _find(self.root, domain, split)
        if found is None:
            hint = ", or set dataset.download=true" if domain in _DOWNLOADS else ""
            raise DAError(f"no {domain} {split} data under {self.root}: expected "
                          f"{self.root}/{_LAYOUT[domain]}; set DA_DATA_DIR or dataset.root "
                          f"to the folder holding {domain}/{hint}")
        reader, args = found
        x, y = reader(*args)
        log.info("%s/%s: %d images from %s", domain, split, len(x), args[0])
        return x, y

    def _unit(self, domain: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self._read(domain, split)
        if domain in self.binarize:  # 0 / full scale, in the file's own dtype and range
            x = (np.asarray(x) > 0) * np.asarray(255 if x.dtype == np.uint8 else 1, x.dtype)
        if domain in self.crop_or_pad:
            x = center_fit(x, self.image_size)
        return (to_unit(x, self.image_size, self.channels, self.resize),
                torch.from_numpy(np.asarray(y, np.int64)))

    def mean_image(self) -> torch.Tensor:
        """``(C, H, W)`` mean over the source and target training images (``pixel_mean``),
        or its per-channel average broadcast to that shape (``channel_mean``)."""
        if self._mean is None:
            total, count = torch.zeros(self.input_shape, dtype=torch.float64), 0
            for domain in self.task:
                # kept for _load, so each training set is decoded once
                x, _ = self._decoded.setdefault((domain, "train"), self._unit(domain, "train"))
                total += x.sum(0, dtype=torch.float64)
                count += len(x)
            self._mean = (total / count).float()
            if self.normalize == "channel_mean":
                self._mean = self._mean.mean((1, 2), keepdim=True).expand_as(self._mean).contiguous()
            log.info("%s: mean image of %s train (%d images), mean %.4f",
                     self.normalize, " + ".join(self.task), count, float(self._mean.mean()))
        return self._mean

    def _load(self, domain: str, split: str) -> Split:
        if (domain, split) not in self._cache:
            if self.normalize.endswith("_mean"):
                mean = self.mean_image()
                x, y = self._decoded.pop((domain, split), None) or self._unit(domain, split)
                x -= mean
            else:
                x, y = self._unit(domain, split)
                x.sub_(0.5).div_(0.5)
            self._cache[(domain, split)] = Split(x, y)
        return self._cache[(domain, split)]
