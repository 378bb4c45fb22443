"""Digits family: every published file layout on tiny generated fixtures, and its errors."""

from __future__ import annotations

import gzip
import hashlib
import struct

import h5py
import numpy as np
import pytest
import torch
from PIL import Image
from scipy.io import savemat

from da.data import digits
from da.data.digits import Digits, to_tensor
from da.errors import DAError

RNG = np.random.default_rng(0)


def write_idx(path, arr: np.ndarray) -> None:
    head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}i", *arr.shape)
    data = head + arr.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def make_mnist(root, n=5, gz=True):
    d = root / "mnist"
    d.mkdir(parents=True, exist_ok=True)
    x = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y = np.arange(n) % 10
    sfx = ".gz" if gz else ""
    for s in ("train", "t10k"):
        write_idx(d / f"{s}-images-idx3-ubyte{sfx}", x)
        write_idx(d / f"{s}-labels-idx1-ubyte{sfx}", y)
    return x, y


def make_usps_h5(root, x: np.ndarray) -> np.ndarray:
    """``usps/usps.h5`` with ``x`` (N, 256) floats as both the train and the test split."""
    (root / "usps").mkdir(parents=True, exist_ok=True)
    with h5py.File(root / "usps" / "usps.h5", "w") as f:
        for s in ("train", "test"):
            f[f"{s}/data"], f[f"{s}/target"] = x, np.arange(len(x), dtype=np.int32)
    return x


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx(tmp_path, gz):
    x, y = make_mnist(tmp_path, gz=gz)
    fam = Digits(root=str(tmp_path), source="mnist", target="usps")
    assert fam.input_shape == (1, 28, 28)
    s = fam.load("mnist", "test")
    assert s.x.shape == (5, 1, 28, 28) and s.x.dtype == torch.float32
    assert torch.allclose(s.x[:, 0], torch.from_numpy(x / 255.0 * 2 - 1).float(), atol=1e-6)
    assert s.y.tolist() == y.tolist() and s.y.dtype == torch.int64
    assert fam.load("mnist", "test") is s  # cached


def test_usps_h5_resized_to_28(tmp_path):
    x = make_usps_h5(tmp_path, RNG.random((6, 256), dtype=np.float32))
    s = Digits(root=str(tmp_path)).load("usps", "train")
    assert s.x.shape == (6, 1, 28, 28) and s.y.tolist() == list(range(6))
    assert s.x.min() >= -1 and s.x.max() <= 1
    same = Digits(root=str(tmp_path), image_size=16).load("usps", "test")
    assert torch.allclose(same.x.flatten(1), torch.from_numpy(x * 2 - 1), atol=1e-6)


def test_usps_esl_text(tmp_path):
    (tmp_path / "usps").mkdir()
    pix = RNG.uniform(-1, 1, (4, 256))
    rows = np.column_stack([np.array([3, 1, 4, 1]), pix])
    text = "\n".join(" ".join(f"{v:.4f}" for v in r) for r in rows)
    (tmp_path / "usps" / "zip.train.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "usps" / "zip.test").write_text(text)
    fam = Digits(root=str(tmp_path), image_size=16)
    for split in ("train", "test"):
        s = fam.load("usps", split)
        assert s.y.tolist() == [3, 1, 4, 1]
        # [-1, 1] -> [0, 1] -> normalised back to [-1, 1]
        assert torch.allclose(s.x.flatten(1), torch.tensor(pix, dtype=torch.float32), atol=1e-3)


def test_mnist_m_npz_and_png_folder(tmp_path):
    d = tmp_path / "mnist_m"
    d.mkdir()
    x = RNG.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    np.savez(d / "mnist_m_train.npz", x=x, y=np.array([7, 2, 1], np.uint8))
    (d / "mnist_m_test").mkdir()
    names = [f"{i:08d}.png" for i in range(3)]
    for n, img in zip(names, x, strict=True):
        Image.fromarray(img).save(d / "mnist_m_test" / n)
    (d / "mnist_m_test_labels.txt").write_text("".join(f"{n} {k}\n" for n, k in
                                                       zip(names, [5, 0, 4], strict=True)))
    fam = Digits(root=str(tmp_path), source="mnist", target="mnist_m")
    assert fam.input_shape == (3, 32, 32)
    tr, te = fam.load("mnist_m", "train"), fam.load("mnist_m", "test")
    assert tr.y.tolist() == [7, 2, 1] and te.y.tolist() == [5, 0, 4]
    assert torch.equal(tr.x, te.x)  # PNG is lossless
    expect = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255 * 2 - 1
    assert torch.allclose(tr.x, expect, atol=1e-6)


def test_svhn_mat_label_10_is_0(tmp_path):
    (tmp_path / "svhn").mkdir()
    x = RNG.integers(0, 256, (32, 32, 3, 4), dtype=np.uint8)
    for s in ("train", "test"):
        savemat(tmp_path / "svhn" / f"{s}_32x32.mat", {"X": x, "y": np.array([[10], [1], [9], [10]])})
    fam = Digits(root=str(tmp_path), source="svhn", target="mnist")
    s = fam.load("svhn", "train")
    assert s.y.tolist() == [0, 1, 9, 0] and s.x.shape == (4, 3, 32, 32)
    assert torch.allclose(s.x[1], torch.from_numpy(x[..., 1]).permute(2, 0, 1).float() / 255 * 2 - 1)


def test_channel_conversion():
    red = np.zeros((1, 4, 4, 3), np.uint8)
    red[..., 0] = 255
    grey = to_tensor(red, 4, 1)
    assert grey.shape == (1, 1, 4, 4) and torch.allclose(grey, torch.full_like(grey, 2 * 0.299 - 1))
    rgb = to_tensor(np.full((1, 4, 4, 1), 0.25, np.float32), 8, 3)
    assert rgb.shape == (1, 3, 8, 8) and torch.allclose(rgb, torch.full_like(rgb, -0.5))


def test_missing_data_is_one_line_error(tmp_path):
    fam = Digits(root=str(tmp_path / "nowhere"))
    with pytest.raises(DAError) as e:
        fam.load("mnist", "train")
    msg = str(e.value)
    assert "\n" not in msg and str(tmp_path / "nowhere") in msg
    assert "idx3-ubyte" in msg and "DA_DATA_DIR" in msg and "download=true" in msg
    with pytest.raises(DAError) as e:
        fam.load("mnist_m", "test")
    assert "download" not in str(e.value) and "mnist_m_{train,train20k,test}.npz" in str(e.value)


def test_mnist_m_download_is_refused(tmp_path):
    with pytest.raises(DAError, match="no public direct download"):
        Digits(root=str(tmp_path), download=True).load("mnist_m", "train")


def test_truncated_idx_is_one_line_error(tmp_path):
    make_mnist(tmp_path)
    p = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(gzip.decompress(p.read_bytes())[:-10]))
    with pytest.raises(DAError, match="truncated"):
        Digits(root=str(tmp_path)).load("mnist", "train")


def test_download_true_fetches_mnist(tmp_path, http_server, monkeypatch):
    url, srv = http_server
    make_mnist(srv.root / "pub")
    table = []
    for s in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{s}-{kind}-ubyte.gz"
            digest = hashlib.sha256((srv.root / "pub" / "mnist" / name).read_bytes()).hexdigest()
            # first mirror is dead: the second must be used
            table.append((name, (url + "dead/", url + "pub/mnist/"), "sha256", digest))
    monkeypatch.setitem(digits._DOWNLOADS, "mnist", table)
    root = tmp_path / "data"
    s = Digits(root=str(root), download=True).load("mnist", "train")
    assert len(s) == 5 and (root / "mnist" / "t10k-images-idx3-ubyte.gz").is_file()


def test_usps_libsvm_bz2_as_downloaded(tmp_path):
    import bz2

    (tmp_path / "usps").mkdir()
    pix = RNG.uniform(-1, 1, (2, 256))
    pix[0, 5] = -1.0  # sparse format may omit entries: they must read as -1 (white)
    lines = [f"{k} " + " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(row) if i != 5)
             for k, row in zip([10, 3], pix, strict=True)]
    for name in ("usps.bz2", "usps.t.bz2"):
        (tmp_path / "usps" / name).write_bytes(bz2.compress("\n".join(lines).encode()))
    s = Digits(root=str(tmp_path), image_size=16).load("usps", "test")
    assert s.y.tolist() == [9, 2]  # LIBSVM labels 1..10 are digits 0..9
    assert torch.allclose(s.x.flatten(1)[0, 5], torch.tensor(-1.0))


def _pil_reference(x01: np.ndarray, size: int, resample) -> torch.Tensor:
    """What TLlib's pipeline gives: uint8 PIL image -> Resize (PIL) -> ToTensor -> Normalize(0.5)."""
    out = [np.asarray(Image.fromarray(np.round(a * 255).astype(np.uint8)).resize((size, size),
                                                                                 resample))
           for a in x01]
    return (torch.from_numpy(np.stack(out) / 255.0).float()[:, None] - 0.5) / 0.5


def test_pil_bicubic_resize_matches_pil_on_usps_images():
    """resize=pil_bicubic is PIL's Resize(28) of the uint8 image, within 1/255, on real USPS
    digits (skipped without the data) and on generated ones; bilinear on floats is not."""
    from tests.data.conftest import shared_data_root

    path = shared_data_root() / "usps" / "usps.h5"
    images = [RNG.random((8, 16, 16), dtype=np.float32)]
    if path.is_file():
        with h5py.File(path) as f:
            images.append(np.asarray(f["train/data"][:16], np.float32).reshape(-1, 16, 16))
    for x in images:
        ref = _pil_reference(x, 28, Image.Resampling.BICUBIC)
        ours = to_tensor(x[..., None], 28, 1, resize="pil_bicubic")
        assert ours.shape == ref.shape == (len(x), 1, 28, 28)
        assert (ours - ref).abs().max() <= 2 / 255 * 1.0001  # 1/255 in [0,1] = 2/255 in [-1,1]
        assert (to_tensor(x[..., None], 28, 1) - ref).abs().max() > 10 / 255
    ref = _pil_reference(images[-1], 28, Image.Resampling.BILINEAR)
    assert (to_tensor(images[-1][..., None], 28, 1, "pil_bilinear") - ref).abs().max() <= 2.0001 / 255


def test_pil_resize_keeps_uint8_rgb_and_same_size_untouched():
    x = RNG.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    ours = to_tensor(x, 28, 3, resize="pil_bicubic")
    ref = np.stack([np.asarray(Image.fromarray(a).resize((28, 28), Image.Resampling.BICUBIC))
                    for a in x])
    ref = torch.from_numpy(ref).permute(0, 3, 1, 2).float() / 255 * 2 - 1
    assert torch.allclose(ours, ref, atol=1e-6)
    same = RNG.random((2, 28, 28, 1), dtype=np.float32)  # no resize: floats kept as they are
    assert torch.allclose(to_tensor(same, 28, 1, "pil_bicubic"), to_tensor(same, 28, 1))


def test_pixel_mean_subtracts_the_mean_image_of_both_training_sets(tmp_path):
    x, _ = make_mnist(tmp_path, n=6)
    make_usps_h5(tmp_path, RNG.random((4, 256), dtype=np.float32))
    fam = Digits(root=str(tmp_path), source="mnist", target="usps", normalize="pixel_mean")
    tr_s, tr_t = fam.load("mnist", "train"), fam.load("usps", "train")
    both = torch.cat([tr_s.x, tr_t.x])
    assert both.mean(0).abs().max() < 1e-6  # per pixel, over the two training sets together
    unit = torch.from_numpy(x / 255.0).float()[:, None]
    assert torch.allclose(tr_s.x + fam.mean_image(), unit, atol=1e-6)  # [0, 1] minus the mean
    test = fam.load("mnist", "test")  # the test split gets the same (training) mean
    assert torch.allclose(test.x + fam.mean_image(), unit, atol=1e-6)


def test_channel_mean_subtracts_one_mean_per_channel_of_both_training_sets(tmp_path):
    x, _ = make_mnist(tmp_path, n=6)
    make_usps_h5(tmp_path, RNG.random((4, 256), dtype=np.float32))
    fam = Digits(root=str(tmp_path), source="mnist", target="usps", image_size=16,
                 channels=3, normalize="channel_mean")
    both = torch.cat([fam.load("mnist", "train").x, fam.load("usps", "train").x])
    assert both.mean((0, 2, 3)).abs().max() < 1e-6  # zero mean per channel ...
    assert both.mean(0).std() > 0.01  # ... but not per pixel
    mean = fam.mean_image()
    assert mean.shape == (3, 16, 16) and torch.equal(mean, mean[:, :1, :1].expand(3, 16, 16))
    unit = Digits(root=str(tmp_path), image_size=16, channels=3).load("usps", "test").x / 2 + 0.5
    assert torch.allclose(fam.load("usps", "test").x + mean, unit, atol=1e-6)


def test_binarize_makes_the_listed_domain_0_or_1_and_leaves_the_other(tmp_path):
    x, _ = make_mnist(tmp_path, n=6)
    x[0, :3] = 0  # some background, so both values occur
    for s in ("train", "t10k"):
        write_idx(tmp_path / "mnist" / f"{s}-images-idx3-ubyte.gz", x)
    u = RNG.random((4, 256), dtype=np.float32) * 0.5
    u[:, :10] = 0
    make_usps_h5(tmp_path, u)
    fam = Digits(root=str(tmp_path), source="mnist", target="usps", image_size=16,
                 binarize=["mnist", "usps"])
    m = fam.load("mnist", "train").x  # 28 -> 16 resize after binarising: stays in [-1, 1]
    plain = Digits(root=str(tmp_path), source="mnist", target="usps", image_size=28,
                   binarize=["mnist"]).load("mnist", "train").x
    assert torch.equal(plain[:, 0], torch.from_numpy(np.where(x > 0, 1.0, -1.0)).float())
    assert m.min() >= -1 and m.max() <= 1
    us = fam.load("usps", "test").x.flatten(1)  # floats in [0, 0.5]: > 0 becomes full scale
    assert torch.equal(us, torch.from_numpy(np.where(u > 0, 1.0, -1.0)).float())
    kept = Digits(root=str(tmp_path), source="mnist", target="usps", image_size=16,
                  binarize=["mnist"]).load("usps", "test").x.flatten(1)
    assert torch.allclose(kept, torch.from_numpy(u * 2 - 1), atol=1e-6)


def test_crop_or_pad_centres_mnist_m_and_pads_mnist_instead_of_resizing(tmp_path):
    x, _ = make_mnist(tmp_path, n=4)
    d = tmp_path / "mnist_m"
    d.mkdir()
    xm = RNG.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    for split in ("train", "test"):
        np.savez(d / f"mnist_m_{split}.npz", x=xm, y=np.arange(3, dtype=np.uint8))
    fam = Digits(root=str(tmp_path), source="mnist", target="mnist_m", image_size=28,
                 crop_or_pad=["mnist_m"])
    got = fam.load("mnist_m", "train").x  # the central 28x28, untouched by any filter
    want = torch.from_numpy(xm[:, 2:30, 2:30]).permute(0, 3, 1, 2).float() / 255 * 2 - 1
    assert torch.allclose(got, want, atol=1e-6)
    padded = Digits(root=str(tmp_path), source="mnist", target="mnist_m", image_size=32,
                    channels=1, crop_or_pad=["mnist"]).load("mnist", "train").x[:, 0]
    assert torch.all(padded[:, :2] == -1) and torch.all(padded[:, :, 30:] == -1)
    assert torch.allclose(padded[:, 2:30, 2:30], torch.from_numpy(x / 255 * 2 - 1).float(),
                          atol=1e-6)


def test_the_shared_mnist_m_is_mnist_padded_by_two_pixels():
    """What crop_or_pad=[mnist_m] rests on: with MNIST-M = |background - binarised digit|,
    flipping the pixels under the digit restores a smooth background only when the digit
    sits in the centre, 2 pixels in from each side (no resize, no other offset)."""
    from tests.data.conftest import need_shared

    root = need_shared("mnist/train-images-idx3-ubyte.gz", "mnist_m/mnist_m_train20k.npz")
    fam = Digits(root=str(root))
    mm, _ = fam._read("mnist_m", "train")
    mn, _ = fam._read("mnist", "train")
    mm, mn = mm[:100].astype(float), mn[:100, :, :, 0] > 0

    def roughness(mask):
        flipped = np.where(mask[..., None], 255 - mm, mm)
        return np.abs(np.diff(flipped, axis=1)).sum() + np.abs(np.diff(flipped, axis=2)).sum()

    shifts = {(dy, dx): roughness(np.pad(mn, ((0, 0), (dy, 4 - dy), (dx, 4 - dx))))
              for dy in range(5) for dx in range(5)}
    best = min(shifts, key=shifts.get)
    assert best == (2, 2)
    assert shifts[best] < 0.7 * min(v for k, v in shifts.items() if k != best)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"crop_or_pad": ["svhn2"]}, r"dataset.crop_or_pad=\['svhn2'\] names no digits domain"),
    ({"binarize": ["mnistm"]}, r"dataset.binarize=\['mnistm'\] names no digits domain"),
    ({"resize": "lanczos"}, "dataset.resize='lanczos' is not a resize filter"),
    ({"normalize": "zscore"}, "dataset.normalize='zscore' is unknown"),
    ({"normalize": "pixel_mean", "source": None}, "needs the task"),
    ({"normalize": "channel_mean", "source": None}, "needs the task"),
])
def test_bad_pipeline_options_are_one_line_errors(tmp_path, kwargs, match):
    args = {"root": str(tmp_path), "source": "mnist", "target": "usps", **kwargs}
    with pytest.raises(DAError, match=match) as e:
        Digits(**args)
    assert "\n" not in str(e.value)
