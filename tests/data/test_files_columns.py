"""``dataset=files`` on MATLAB files that store the features as columns (issue 27, item 5).

The JDA / TCA / COIL releases hold ``Xs`` as ``d x n`` in MATLAB (features x samples)
while ``Ys`` is ``n x 1``. These tests write files in that convention, MATLAB v5 and v7.3
(the latter as MATLAB writes it: a 512-byte user block, datasets stored column-major, each
with its ``MATLAB_class`` attribute) and run the README's one-file-two-domains command.
"""

from __future__ import annotations

import json
import logging

import h5py
import numpy as np
import pytest
from scipy.io import savemat

from da.data.files import Files
from da.errors import DAError
from tests.conftest import run_cli

D, NS, NT, K = 6, 40, 30, 3  # d differs from both sample counts: one orientation pairs


def _domain(n: int, shift: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % K
    centres = np.random.default_rng(7).normal(size=(K, D)) * 4
    return centres[y] + rng.normal(size=(n, D)) + shift, y


XS, YS = _domain(NS, 0.0, 1)
XT, YT = _domain(NT, 0.5, 2)


def _v5(path):
    """MATLAB's ``save -v5`` of ``Xs`` (d x n), ``Ys`` (n x 1, 1-based), ``Xt``, ``Yt``."""
    savemat(path, {"Xs": XS.T, "Ys": (YS + 1).reshape(-1, 1).astype(float),
                   "Xt": XT.T, "Yt": (YT + 1).reshape(-1, 1).astype(float)})
    return path


def _v73(path):
    """As MATLAB ``save -v7.3`` writes: an HDF5 file after a 512-byte MATLAB header, every
    array column-major (a d x n MATLAB matrix is an (n, d) HDF5 dataset), ``MATLAB_class``."""
    with h5py.File(path, "w", userblock_size=512) as h:
        for name, a in (("Xs", XS.T), ("Ys", (YS + 1.0).reshape(-1, 1)),
                        ("Xt", XT.T), ("Yt", (YT + 1.0).reshape(-1, 1))):
            # MATLAB's column-major d x n bytes are a C-order n x d dataset
            ds = h.create_dataset(name, data=np.ascontiguousarray(a.T))
            ds.attrs["MATLAB_class"] = np.bytes_("double")
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5"
    with open(path, "r+b") as f:
        f.write(header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM")
    return path


KEYS = dict(source_x_key="Xs", source_y_key="Ys", target_x_key="Xt", target_y_key="Yt")


@pytest.mark.parametrize("write", [_v5, _v73], ids=["v5", "v7.3"])
def test_features_as_columns_are_read_as_samples(tmp_path, write, caplog):
    path = str(write(tmp_path / "coil.mat"))
    with caplog.at_level(logging.INFO, logger="da.data"):
        fam = Files(path, path, **KEYS)
    src, tgt = fam.load("coil_Xs", "train"), fam.load("coil_Xt", "test")
    assert src.x.shape == (NS, D) and tgt.x.shape == (NT, D)
    assert np.allclose(src.x.numpy(), XS, atol=1e-5) and np.allclose(tgt.x.numpy(), XT, atol=1e-5)
    assert src.y.tolist() == YS.tolist() and tgt.y.tolist() == YT.tolist()
    assert "samples are its columns" in caplog.text


@pytest.mark.parametrize("write", [_v5, _v73], ids=["v5", "v7.3"])
def test_readme_one_file_two_domains_command_on_features_as_columns(tmp_path, write):
    f = write(tmp_path / "office.mat")
    proc = run_cli(["dataset=files", f"dataset.source_path={f}", f"dataset.target_path={f}",
                    "dataset.source_x_key=Xs", "dataset.source_y_key=Ys",
                    "dataset.target_x_key=Xt", "dataset.target_y_key=Yt", "backbone=mlp",
                    "debug=fast", "trainer.max_steps=2", "trainer.val_check_interval=2",
                    "callbacks.diagnostics=null", "logger=csv",
                    f"paths.log_dir={tmp_path / 'logs'}"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = (tmp_path / "logs").glob("train/runs/*/results.json")
    r = json.loads(path.read_text())
    assert r["status"] == "ok" and r["task"] == "files:office_Xs->office_Xt"
    # the target test split is Xt's 30 columns, paired with Yt
    assert np.array(r["target_confusion"]).sum(1).tolist() == np.bincount(YT).tolist()


def test_square_matrix_follows_samples_as(tmp_path):
    x = np.random.default_rng(0).normal(size=(12, 12))
    y = np.arange(12) % 3
    np.savez(tmp_path / "s.npz", x=x, y=y)
    np.savez(tmp_path / "t.npz", x=x + 1, y=y)
    s, t = str(tmp_path / "s.npz"), str(tmp_path / "t.npz")
    rows = Files(s, t)  # ambiguous: rows, as before (with a warning)
    assert np.allclose(rows.load("s", "train").x.numpy(), x)
    cols = Files(s, t, samples_as="columns")
    assert np.allclose(cols.load("s", "train").x.numpy(), x.T)
    assert np.allclose(Files(s, t, samples_as="rows").load("s", "train").x.numpy(), x)


def test_no_orientation_pairs_is_one_line_naming_the_option(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.zeros((1024, 800)), y=np.arange(720) % 4)
    np.savez(tmp_path / "t.npz", x=np.zeros((10, 800)), y=np.arange(10) % 4)
    with pytest.raises(DAError, match=r"neither its rows nor its columns.*samples_as") as e:
        Files(str(tmp_path / "s.npz"), str(tmp_path / "t.npz"))
    assert "\n" not in str(e.value)
    # forcing the wrong orientation is refused too, naming what was asked
    np.savez(tmp_path / "c.npz", x=np.zeros((5, 9)), y=np.arange(9) % 3)
    with pytest.raises(DAError, match="its rows cannot be its samples"):
        Files(str(tmp_path / "c.npz"), str(tmp_path / "c.npz"), samples_as="rows")
    with pytest.raises(DAError, match="samples_as=diagonal is not an option"):
        Files(str(tmp_path / "c.npz"), str(tmp_path / "c.npz"), samples_as="diagonal")
