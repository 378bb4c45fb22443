"""Files family: every supported format on tiny fixtures, label bases, and its errors."""

from __future__ import annotations

import logging

import h5py
import numpy as np
import pytest
import torch
from scipy.io import savemat

from da.data.array_readers import read_arrays
from da.data.files import Files
from da.errors import DAError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(9, 4)).astype(np.float32)
Y = np.arange(9) % 3


def write(path, x=X, y=Y):
    """Write ``(x, y)`` in the format given by ``path``'s suffix."""
    s = path.suffix
    if s == ".npz":
        np.savez(path, x=x, y=y)
    elif s == ".npy":
        np.save(path, x)
        np.save(path.with_name(path.stem + "_labels.npy"), y)
    elif s == ".csv":
        rows = [",".join(map(str, [*r, int(k)])) for r, k in zip(x.tolist(), y, strict=True)]
        path.write_text("\n".join(rows) + "\n")
    elif s == ".pt":
        torch.save({"features": torch.from_numpy(x), "labels": torch.from_numpy(y)}, path)
    elif s == ".mat":
        savemat(path, {"fts": x, "labels": y.reshape(-1, 1)})
    return path


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv", ".pt", ".mat"])
def test_every_format_reads_back(tmp_path, suffix):
    x, y = read_arrays(write(tmp_path / f"d{suffix}"))
    assert np.allclose(x, X, atol=1e-6) and y.tolist() == Y.tolist()


def test_mat_v73_via_h5py_is_transposed_back(tmp_path):
    p = tmp_path / "d.mat"
    with h5py.File(p, "w") as f:  # MATLAB v7.3 stores column-major: (D, N) on disk
        f["fts"], f["labels"] = X.T, Y.reshape(1, -1).astype(np.float64)
    x, y = read_arrays(p)
    assert x.shape == (9, 4) and np.allclose(x, X) and y.tolist() == Y.tolist()


def test_csv_header_and_named_label_column(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("label,a,b\n1,0.5,2\n0,1.5,3\n")
    x, y = read_arrays(p, y_key="label")
    assert y.tolist() == [1, 0] and x.tolist() == [[0.5, 2], [1.5, 3]]
    x, y = read_arrays(p)  # header skipped; last column is the label
    assert y.tolist() == [2, 3]


def test_pt_tuple_and_explicit_keys(tmp_path):
    torch.save((torch.from_numpy(X), torch.from_numpy(Y)), tmp_path / "t.pt")
    assert read_arrays(tmp_path / "t.pt")[1].tolist() == Y.tolist()
    np.savez(tmp_path / "k.npz", emb=X, cls=Y)
    x, y = read_arrays(tmp_path / "k.npz", "emb", "cls")
    assert x.shape == (9, 4)
    with pytest.raises(DAError, match="x_key"):
        read_arrays(tmp_path / "k.npz")


def test_family_one_based_labels_and_transductive_log(tmp_path, caplog):
    s = write(tmp_path / "s.npz", y=Y + 1)
    t = write(tmp_path / "t.csv", x=X[:6] + 1, y=Y[:6] + 1)
    with caplog.at_level(logging.INFO, logger="da.data"):
        fam = Files(str(s), str(t))
    assert fam.num_classes == 3 and fam.input_shape == (4,)
    assert fam.load("source", "train").y.tolist() == Y.tolist()
    assert fam.load("target", "test") is fam.load("target", "train")
    assert "1-based" in caplog.text and "transductive" in caplog.text


def test_family_target_test_path(tmp_path):
    s, t = write(tmp_path / "s.npz"), write(tmp_path / "t.npy")
    tt = write(tmp_path / "tt.pt", x=X[:3], y=Y[:3])
    fam = Files(str(s), str(t), target_test_path=str(tt))
    assert len(fam.load("target", "test")) == 3 and len(fam.load("target", "train")) == 9


def test_class_count_mismatch(tmp_path):
    s = write(tmp_path / "s.npz")
    t = write(tmp_path / "t.npz", y=np.arange(9) % 5)
    with pytest.raises(DAError) as e:
        Files(str(s), str(t))
    assert "\n" not in str(e.value) and "class counts differ" in str(e.value)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(DAError) as e:
        Files(str(tmp_path / "absent.npz"), str(tmp_path / "absent.npz"))
    assert "\n" not in str(e.value) and str(tmp_path / "absent.npz") in str(e.value)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(DAError) as e:
        read_arrays(bad)
    assert "\n" not in str(e.value) and "bad.npz" in str(e.value)
    with pytest.raises(DAError, match="source_path"):
        Files()


def test_images_get_channel_axis_and_uint8_is_scaled(tmp_path):
    img = RNG.integers(0, 256, (4, 8, 8), dtype=np.uint8)
    s = write(tmp_path / "s.npz", x=img, y=np.arange(4) % 2)
    fam = Files(str(s), str(s))
    x = fam.load("source", "train").x
    assert fam.input_shape == (1, 8, 8) and float(x.max()) <= 1.0
