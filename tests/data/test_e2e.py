"""``da.train`` end to end on the new families (debug=fast, CPU)."""

from __future__ import annotations

import json

import numpy as np

from da.train import run
from tests.conftest import run_cli
from tests.data.conftest import need_shared


def test_files_family_trains(make_cfg, tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(120) % 3
    centres = rng.normal(size=(3, 5)) * 3
    src = centres[y] + rng.normal(size=(120, 5))
    np.savez(tmp_path / "src.npz", x=src.astype(np.float32), y=y + 1)  # 1-based labels
    np.savez(tmp_path / "tgt.npz", x=(src + 0.5).astype(np.float32), y=y + 1)
    cfg = make_cfg("dataset=files", f"dataset.source_path={tmp_path / 'src.npz'}",
                   f"dataset.target_path={tmp_path / 'tgt.npz'}", "trainer.max_steps=10",
                   "trainer.val_check_interval=5")
    assert cfg.backbone._target_.endswith("MLP")
    res = run(cfg)
    assert res["task"] == "files:src->tgt" and res["steps"] == 10
    assert 0.0 <= res["target_acc"] <= 1.0


def test_office_caltech_surf_trains(make_cfg):
    root = need_shared("office_caltech10_surf/amazon_SURF_L10.mat",
                       "office_caltech10_surf/dslr_SURF_L10.mat")
    cfg = make_cfg("dataset=office_caltech_surf", "source=amazon", "target=dslr",
                   f"dataset.root={root}", "trainer.max_steps=10", "trainer.val_check_interval=5")
    res = run(cfg)
    assert res["task"] == "office_caltech_surf:amazon->dslr"
    assert 0.0 <= res["target_acc"] <= 1.0


def test_files_cli_on_office_caltech_mat_and_npz(tmp_path):
    """The issue's command on two real Office-Caltech ``.mat`` files, then on ``.npz`` copies
    of them: both train, and both see the same 10 classes (1-based labels detected)."""
    from scipy.io import loadmat

    root = need_shared("office_caltech10_surf/amazon_SURF_L10.mat",
                       "office_caltech10_surf/webcam_SURF_L10.mat")
    mats = [root / "office_caltech10_surf" / f"{d}_SURF_L10.mat" for d in ("amazon", "webcam")]
    npzs = []
    for m in mats:
        d = loadmat(m)
        npzs.append(tmp_path / f"{m.stem}.npz")
        np.savez(npzs[-1], x=d["fts"].astype(np.float32), y=d["labels"].ravel())
    for kind, (src, tgt) in (("mat", mats), ("npz", npzs)):
        out = tmp_path / kind
        res = run_cli(["dataset=files", f"dataset.source_path={src}",
                       f"dataset.target_path={tgt}", "backbone=mlp", "method=dann",
                       "trainer.max_steps=20", "trainer.val_check_interval=10", "logger=csv",
                       "trainer.enable_progress_bar=false", f"hydra.run.dir={out}"])
        assert res.returncode == 0, res.stderr[-2000:]
        assert "labels are 1-based" in res.stdout + res.stderr
        r = json.loads((out / "results.json").read_text())
        assert r["status"] == "ok" and r["steps"] == 20 and r["task"] == f"files:{src.stem}->{tgt.stem}"
        assert len(r["target_per_class_acc"]) == 10
        assert 0.0 <= r["target_acc"] <= 1.0
