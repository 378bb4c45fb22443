"""``dataset=files``: domains named after the data, per-domain keys (one file, two domains)."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from da.data.files import Files, domain_names
from da.errors import DAError
from tests.conftest import compose_cfg, run_cli

RNG = np.random.default_rng(0)


def _blobs(n: int, d: int = 5, shift: float = 0.0, k: int = 3):
    y = np.arange(n) % k
    centres = np.random.default_rng(1).normal(size=(k, d)) * 3
    return (centres[y] + RNG.normal(size=(n, d)) + shift).astype(np.float32), y


def test_names_come_from_the_files():
    assert domain_names("/d/amazon.npz", "/d/webcam.mat") == ("amazon", "webcam")
    # one file, two domains: the stem and the array key
    assert domain_names("/d/all.mat", "/d/all.mat", "Xs", "Xt") == ("all_Xs", "all_Xt")
    # same stem in two folders: the folder and the stem
    assert domain_names("/a/feat.npz", "/b/feat.npz") == ("a_feat", "b_feat")
    # nothing tells them apart: the roles
    assert domain_names("/a/f.npz", "/a/f.npz") == ("source", "target")
    # given names win; characters that would break run directories are replaced
    assert domain_names("/a/x.npz", "/a/y.npz", source_name="Art") == ("Art", "y")
    assert domain_names("/d/web cam.npz", "/d/a:b.npz") == ("web_cam", "a_b")


def test_task_run_dir_and_wandb_group_are_named_after_the_files(tmp_path):
    src, tgt = tmp_path / "amazon.npz", tmp_path / "webcam.npz"
    cfg = compose_cfg(["dataset=files", f"dataset.source_path={src}",
                       f"dataset.target_path={tgt}", "logger=wandb"], tmp_path)
    assert cfg.task == "files:amazon->webcam"
    assert cfg.logger.wandb.group == "files:amazon->webcam"
    assert list(cfg.dataset.domains) == ["amazon", "webcam"]
    named = compose_cfg(["dataset=files", f"dataset.source_path={src}",
                         f"dataset.target_path={tgt}", "dataset.source_name=A",
                         "dataset.target_name=W"], tmp_path)
    assert (named.source, named.target, named.task) == ("A", "W", "files:A->W")


def test_old_role_names_still_work(tmp_path):
    x, y = _blobs(30)
    np.savez(tmp_path / "s.npz", x=x, y=y)
    np.savez(tmp_path / "t.npz", x=x + 1, y=y)
    fam = Files(str(tmp_path / "s.npz"), str(tmp_path / "t.npz"))
    assert fam.domains == ("s", "t")
    fam.check_task("source", "target")  # as `source=source target=target` used to say
    fam.check_task("s", "t")
    assert np.allclose(fam.load("t", "train").x.numpy(), fam.load("target", "train").x.numpy())
    with pytest.raises(DAError, match="valid domains: s, t"):
        fam.check_task("s", "mars")


def test_per_domain_keys_read_one_file_with_both_domains(tmp_path):
    xs, ys = _blobs(30)
    xt, yt = _blobs(21, shift=1.0)
    np.savez(tmp_path / "both.npz", Xs=xs, Ys=ys + 1, Xt=xt, Yt=yt + 1)
    p = str(tmp_path / "both.npz")
    fam = Files(p, p, source_x_key="Xs", source_y_key="Ys", target_x_key="Xt",
                target_y_key="Yt")
    assert fam.domains == ("both_Xs", "both_Xt")
    assert np.allclose(fam.load("both_Xs", "train").x.numpy(), xs)
    assert np.allclose(fam.load("both_Xt", "test").x.numpy(), xt)
    assert fam.load("both_Xt", "test").y.tolist() == yt.tolist()  # 1-based, shifted
    # the shared x_key / y_key remain the fallback
    np.savez(tmp_path / "s.npz", emb=xs, cls=ys)
    np.savez(tmp_path / "t.npz", emb=xt, cls=yt)
    fam = Files(str(tmp_path / "s.npz"), str(tmp_path / "t.npz"), x_key="emb", y_key="cls")
    assert len(fam.load("t", "train")) == 21


def test_one_mat_v73_file_with_both_domains_from_the_command_line(tmp_path):
    """The issue's command on a MATLAB v7.3 (HDF5) file holding Xs, Ys, Xt, Yt."""
    xs, ys = _blobs(60)
    xt, yt = _blobs(45, shift=0.5)
    f = tmp_path / "office.mat"
    with h5py.File(f, "w") as h:  # v7.3 is column-major: MATLAB's (N, D) is (D, N) on disk
        h["Xs"], h["Ys"] = xs.T.astype(np.float64), (ys + 1).reshape(1, -1).astype(np.float64)
        h["Xt"], h["Yt"] = xt.T.astype(np.float64), (yt + 1).reshape(1, -1).astype(np.float64)
    proc = run_cli(["dataset=files", f"dataset.source_path={f}", f"dataset.target_path={f}",
                    "dataset.source_x_key=Xs", "dataset.source_y_key=Ys",
                    "dataset.target_x_key=Xt", "dataset.target_y_key=Yt", "backbone=mlp",
                    "debug=fast", "trainer.max_steps=4", "trainer.val_check_interval=2",
                    "callbacks.diagnostics=null", f"paths.log_dir={tmp_path / 'logs'}"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the run directory is named after the domains too
    (path,) = (tmp_path / "logs").glob("train/runs/*_source_only_files_office_Xs2office_Xt_s0/"
                                       "results.json")
    r = json.loads(path.read_text())
    assert r["status"] == "ok" and r["task"] == "files:office_Xs->office_Xt"
    assert r["steps"] == 4 and len(r["target_per_class_acc"]) == 3
    # the target test split is Xt (45 samples), read in MATLAB's orientation
    assert np.sum(r["target_confusion"]) == 45
    assert np.array(r["target_confusion"]).sum(1).tolist() == np.bincount(yt).tolist()
