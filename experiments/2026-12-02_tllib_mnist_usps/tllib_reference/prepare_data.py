"""Lay this project's MNIST and USPS files out as Transfer-Learning-Library expects them.

TLlib's ``tllib.vision.datasets.digits.MNIST`` / ``USPS`` read ``<root>/<Domain>/image_list/
<domain>_{train,test}.txt`` (lines ``<relative image path> <label>``) and open each image with
``torchvision.datasets.folder.default_loader`` (PIL, ``.convert("RGB")``) then
``.convert("L")``. They "download" only when the folders ``image_list`` and
``<domain>_train_image`` are missing, so once this script has run nothing is downloaded.

Written (``OUT`` is the argument; it is the positional ``root`` of TLlib's scripts)::

    OUT/MNIST/image_list/mnist_train.txt   60,000 lines "mnist_train_image/<i>.png <label>"
    OUT/MNIST/image_list/mnist_test.txt    10,000 lines "mnist_test_image/<i>.png <label>"
    OUT/MNIST/mnist_{train,test}_image/<i>.png
    OUT/USPS/image_list/usps_train.txt      7,291 lines "usps_train_image/<i>.png <label>"
    OUT/USPS/image_list/usps_test.txt       2,007 lines "usps_test_image/<i>.png <label>"
    OUT/USPS/usps_{train,test}_image/<i>.png
    OUT/MANIFEST.txt                        inputs' sha256, counts, conversion rule

Images are 8-bit grey PNG (lossless; grey -> RGB -> grey in PIL gives back the same bytes), in
the files' own order, labels 0..9. MNIST is taken byte for byte from the IDX files. USPS
(``usps.h5``: float32 in [0, 1], 16x16) becomes uint8 by
``np.round(np.clip(x, 0, 1) * 255.0).astype(np.uint8)`` computed in float32 with NumPy's
round-half-to-even: exactly what ``da`` does before its ``pil_bicubic`` resize
(``da/data/digits.py:to_unit``), so both read identical USPS pixels. (Half-up rounding in
float64 would differ at 460 train / 133 test pixels by one grey level.) The 16 -> 28 resize is
left to TLlib (its ``ResizeImage``: PIL's default, bicubic).

Usage::

    .venv/bin/python experiments/2026-12-02_tllib_mnist_usps/tllib_reference/prepare_data.py \
        --data /work/shared/data --out /work/tllib_data
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip) as a uint8 array: images (N, 28, 28) or labels (N,)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    if magic >> 8 != 0x08:  # 0x08: unsigned byte
        raise SystemExit(f"{path}: not a uint8 IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise SystemExit(f"{path}: {arr.size} bytes of data, header says {dims}")
    return arr.reshape(dims)


def usps_to_uint8(x: np.ndarray) -> np.ndarray:
    """(N, 256) float32 in [0, 1] -> (N, 16, 16) uint8, as ``da`` rounds (see module doc)."""
    x = np.asarray(x, np.float32)
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8).reshape(-1, 16, 16)


def write_split(domain_dir: Path, name: str, images: np.ndarray, labels: np.ndarray) -> str:
    """PNG files under ``domain_dir/<name>_image`` and ``image_list/<name>.txt``; returns the
    sha256 of the concatenated pixel bytes and labels (to compare two preparations)."""
    if len(images) != len(labels):
        raise SystemExit(f"{name}: {len(images)} images but {len(labels)} labels")
    if labels.min() < 0 or labels.max() > 9:
        raise SystemExit(f"{name}: labels outside 0..9 ({labels.min()}..{labels.max()})")
    img_dir = domain_dir / f"{name}_image"
    img_dir.mkdir(parents=True)
    (domain_dir / "image_list").mkdir(exist_ok=True)
    lines = []
    for i, (a, y) in enumerate(zip(images, labels, strict=True)):
        Image.fromarray(np.ascontiguousarray(a), mode="L").save(img_dir / f"{i}.png")
        lines.append(f"{name}_image/{i}.png {int(y)}\n")
    (domain_dir / "image_list" / f"{name}.txt").write_text("".join(lines))
    h = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    h.update(np.asarray(labels, np.int64).tobytes())
    return h.hexdigest()


def check_roundtrip(domain_dir: Path, name: str, images: np.ndarray, labels: np.ndarray,
                    every: int) -> None:
    """Read back every ``every``-th sample the way TLlib does (list file, PIL RGB -> L)."""
    lines = (domain_dir / "image_list" / f"{name}.txt").read_text().splitlines()
    if len(lines) != len(images):
        raise SystemExit(f"{name}: list has {len(lines)} lines, expected {len(images)}")
    for i in range(0, len(lines), every):
        rel, y = lines[i].rsplit(" ", 1)
        with open(domain_dir / rel, "rb") as f:
            img = Image.open(f).convert("RGB").convert("L")
        if int(y) != int(labels[i]) or not np.array_equal(np.asarray(img), images[i]):
            raise SystemExit(f"{name}: sample {i} does not read back identically")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("DA_DATA_DIR", "../shared/data")),
                    help="folder holding mnist/*.gz and usps/usps.h5 (default: $DA_DATA_DIR)")
    ap.add_argument("--out", type=Path, required=True, help="TLlib data root to create")
    ap.add_argument("--force", action="store_true", help="replace OUT/MNIST and OUT/USPS")
    args = ap.parse_args(argv)

    mnist_files = {k: args.data / "mnist" / f for k, f in {
        "train_x": "train-images-idx3-ubyte.gz", "train_y": "train-labels-idx1-ubyte.gz",
        "test_x": "t10k-images-idx3-ubyte.gz", "test_y": "t10k-labels-idx1-ubyte.gz"}.items()}
    usps_file = args.data / "usps" / "usps.h5"
    for p in [*mnist_files.values(), usps_file]:
        if not p.is_file():
            raise SystemExit(f"missing input {p}")
    args.out.mkdir(parents=True, exist_ok=True)
    for d in ("MNIST", "USPS"):
        if (args.out / d).exists():
            if not args.force:
                raise SystemExit(f"{args.out / d} exists; pass --force to rebuild it")
            shutil.rmtree(args.out / d)

    import h5py

    with h5py.File(usps_file, "r") as f:
        usps = {s: (usps_to_uint8(f[f"{s}/data"][:]), np.asarray(f[f"{s}/target"][:], np.int64))
                for s in ("train", "test")}
    mnist = {s: (read_idx(mnist_files[f"{s}_x"]), read_idx(mnist_files[f"{s}_y"]).astype(np.int64))
             for s in ("train", "test")}

    manifest = ["# written by prepare_data.py (experiments/2026-12-02_tllib_mnist_usps/"
                "tllib_reference); inputs:"]
    manifest += [f"sha256 {sha256(p)}  {p}" for p in [*mnist_files.values(), usps_file]]
    manifest.append("# usps uint8 = np.round(np.clip(x_float32, 0, 1) * 255.0) in float32 "
                    "(half-to-even), as da.data.digits.to_unit")
    for dom, splits in (("MNIST", mnist), ("USPS", usps)):
        tmp = args.out / f".{dom}.partial"
        if tmp.exists():
            shutil.rmtree(tmp)
        for s, (x, y) in splits.items():
            name = f"{dom.lower()}_{s}"
            digest = write_split(tmp, name, x, y)
            check_roundtrip(tmp, name, x, y, every=97)
            counts = np.bincount(y, minlength=10).tolist()
            manifest.append(f"{dom}/{name}: n={len(x)} shape={x.shape[1:]} "
                            f"pixels+labels sha256={digest} class counts={counts}")
            print(manifest[-1], flush=True)
        tmp.rename(args.out / dom)
    (args.out / "MANIFEST.txt").write_text("\n".join(manifest) + "\n")
    print(f"done: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
