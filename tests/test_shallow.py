"""Shallow methods (``method=sk_*``, da/shallow/): every one end to end on generated vectors,
label-free selection, the results.json of deep runs, refusals and the missing-skada path.

Tests needing skada skip with the install hint when it is absent; ``sk_source_only`` is plain
scikit-learn and always runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from da.config import CONF_DIR
from da.errors import DAError
from da.train import run, user_error
from tests.conftest import run_cli

SHALLOW = sorted(p.stem for p in (Path(CONF_DIR) / "method").glob("sk_*.yaml"))
HINT = "pip install 'da[shallow]'"


def need_skada(method: str = "sk_coral") -> None:
    """Skip, with the install hint, when skada cannot be imported (absent or broken)."""
    if method == "sk_source_only":
        return
    try:
        import skada  # noqa: F401
    except ImportError:
        pytest.skip(f"skada is not installed: {HINT}")


def blobs(tmp_path: Path, n_s: int = 200, n_t: int = 150, d: int = 120, k: int = 3,
          shuffle_target_labels: bool = False) -> list[str]:
    """Two domains of ``k`` Gaussian classes in ``d`` dims, the target shifted and rescaled;
    enough samples and dims for every method's grid (subspace alignment keeps 100)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(k, d)) * 1.5
    ys, yt = np.arange(n_s) % k, np.arange(n_t) % k
    xs = centres[ys] + rng.normal(size=(n_s, d))
    xt = 1.3 * (centres[yt] + rng.normal(size=(n_t, d))) + 0.7
    if shuffle_target_labels:
        yt = rng.permutation(yt)
    np.savez(tmp_path / "src.npz", x=xs.astype(np.float32), y=ys)
    np.savez(tmp_path / "tgt.npz", x=xt.astype(np.float32), y=yt)
    return ["dataset=files", f"dataset.source_path={tmp_path / 'src.npz'}",
            f"dataset.target_path={tmp_path / 'tgt.npz'}"]


def test_every_shallow_method_is_covered():
    assert {"sk_source_only", "sk_coral", "sk_sa", "sk_tca", "sk_jdot", "sk_otlabelprop",
            "sk_kmm", "sk_dasvm"} <= set(SHALLOW)


@pytest.mark.parametrize("method", SHALLOW)
def test_shallow_method_runs_and_writes_the_deep_schema(method, make_cfg, tmp_path):
    need_skada(method)
    cfg = make_cfg(f"method={method}", *blobs(tmp_path), "num_threads=1")
    res = run(cfg)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["status"] == "ok" and on_disk["method"] == method
    assert on_disk["task"] == "files:src->tgt" and on_disk["config_hash"]
    for key in ("target_acc", "target_acc_last", "target_acc_oracle", "source_acc"):
        assert 0.0 <= on_disk[key] <= 1.0, key
    # the selected grid point is the best source-validation score, never a target one
    hist = res["history"]
    assert len(hist) == res["selection"]["grid_size"] >= 1
    best = res["selection"]["best_step"]
    assert hist[best]["val/select/score"] == max(r["val/select/score"] for r in hist)
    if not res["selection"]["refit_on_all_source"]:  # else the refit model's (test below)
        assert res["target_acc"] == hist[best]["val/target/acc_oracle"]
    assert res["target_acc_oracle"] == max(res["target_acc"],
                                           *(r["val/target/acc_oracle"] for r in hist))
    assert np.sum(res["target_confusion"]) == 150
    # a separable problem: far above chance (1/3) on the source
    assert res["source_acc"] > 0.9


def test_results_have_every_key_of_a_deep_run(make_cfg, tmp_path):
    data = blobs(tmp_path)
    deep = run(make_cfg("method=source_only", *data, "trainer.max_steps=4",
                        "trainer.val_check_interval=2", "callbacks.diagnostics=null"))
    (tmp_path / "results.json").unlink()
    shallow = run(make_cfg("method=sk_source_only", *data))
    assert set(deep) - set(shallow) == set()
    assert set(deep["selection"]) <= set(shallow["selection"])


def test_sk_source_only_equals_scikit_learn_on_the_same_split(make_cfg, tmp_path):
    """The reference: a LogisticRegression fitted by hand on the datamodule's source split."""
    from sklearn.linear_model import LogisticRegression

    from da.build import build_datamodule, build_family

    cfg = make_cfg("method=sk_source_only", *blobs(tmp_path))
    res = run(cfg)
    dm = build_datamodule(cfg, build_family(cfg))
    dm.setup("fit")
    tr, va, te = (dm.splits[k] for k in ("source_train", "source_val", "target_test"))
    scores = {}
    for c in cfg.method.shallow.grid.C:
        lr = LogisticRegression(C=c, max_iter=1000).fit(tr.x.double().numpy(), tr.y.numpy())
        scores[c] = (lr.score(va.x.double().numpy(), va.y.numpy()),
                     lr.score(te.x.double().numpy(), te.y.numpy()))
    best_c = max(scores, key=lambda c: (scores[c][0], -list(scores).index(c)))
    assert res["selection"]["params"] == {"C": best_c}
    assert res["target_acc"] == pytest.approx(scores[best_c][1])


def test_refit_fits_the_selected_point_again_on_the_whole_source(make_cfg, tmp_path):
    """method.shallow.refit=true: selected on the hold-out as before, then fitted on
    source_train + source_val; the reported target accuracy is that model's."""
    from sklearn.linear_model import LogisticRegression

    from da.build import build_datamodule, build_family

    data = blobs(tmp_path, n_s=60, d=3)  # overlapping classes: the fits differ
    plain = run(make_cfg("method=sk_source_only", *data))
    (tmp_path / "results.json").unlink()
    cfg = make_cfg("method=sk_source_only", *data, "+method.shallow.refit=true")
    res = run(cfg)
    assert res["selection"]["refit_on_all_source"] and not plain["selection"]["refit_on_all_source"]
    assert res["selection"]["params"] == plain["selection"]["params"]  # same selection
    untimed = [[{k: v for k, v in r.items() if k != "fit_time_s"} for r in h]
               for h in (res["history"], plain["history"])]
    assert untimed[0] == untimed[1]
    dm = build_datamodule(cfg, build_family(cfg))
    dm.setup("fit")
    tr, va, te = (dm.splits[k] for k in ("source_train", "source_val", "target_test"))
    x = np.vstack([tr.x.double().numpy(), va.x.double().numpy()])
    y = np.concatenate([tr.y.numpy(), va.y.numpy()])
    lr = LogisticRegression(C=res["selection"]["params"]["C"], max_iter=1000).fit(x, y)
    assert res["target_acc"] == pytest.approx(lr.score(te.x.double().numpy(), te.y.numpy()))
    preds = lr.predict(te.x.double().numpy())
    assert np.trace(res["target_confusion"]) == int((preds == te.y.numpy()).sum())
    assert res["target_acc"] != plain["target_acc"]  # on this data the refit model differs
    assert res["target_acc_oracle"] == max(res["target_acc"], plain["target_acc_oracle"])


@pytest.mark.parametrize("method", ["sk_source_only", "sk_coral"])
def test_selection_does_not_see_target_labels(method, make_cfg, tmp_path):
    need_skada(method)
    a = run(make_cfg(f"method={method}", *blobs(tmp_path)))
    (tmp_path / "results.json").unlink()
    b = run(make_cfg(f"method={method}", *blobs(tmp_path, shuffle_target_labels=True)))
    assert a["selection"]["params"] == b["selection"]["params"]
    assert a["selection"]["best_score"] == b["selection"]["best_score"]
    assert a["target_acc"] != b["target_acc"]  # the labels did change


def _one_line(exc: BaseException) -> str:
    err = user_error(exc)
    assert err is not None, repr(exc)
    assert "\n" not in str(err)
    return str(err)


def test_image_datasets_refuse_shallow_methods(make_cfg, tmp_path):
    with pytest.raises(DAError) as info:
        run(make_cfg("method=sk_source_only"))  # skdigits: 1x16x16 images
    assert "shallow method for feature vectors" in _one_line(info.value)
    assert not list(tmp_path.rglob("results.json")) and not list(tmp_path.rglob("csv"))


def test_deep_selection_choice_is_refused(make_cfg, tmp_path, monkeypatch):
    import da.run

    monkeypatch.setattr(da.run, "hydra_choices", lambda: {"selection": "entropy"})
    with pytest.raises(DAError) as info:
        run(make_cfg("method=sk_source_only", *blobs(tmp_path)))
    assert "selection=entropy is for deep methods" in _one_line(info.value)


def test_missing_skada_is_one_line_with_the_install_hint(make_cfg, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skada", None)  # `import skada` now raises ImportError
    with pytest.raises(DAError) as info:
        run(make_cfg("method=sk_coral", *blobs(tmp_path)))
    assert HINT in _one_line(info.value) and "'skada'" in str(info.value)
    assert not list(tmp_path.rglob("results.json"))


def test_missing_skada_from_the_command_line_exits_2(tmp_path):
    fake = tmp_path / "fake" / "skada"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('simulated: skada is not installed')\n")
    proc = run_cli(["method=sk_coral", *blobs(tmp_path), f"paths.log_dir={tmp_path / 'logs'}"],
                   env={"PYTHONPATH": str(fake.parent)})
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and HINT in lines[0] and "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("results.json"))


def test_a_sweep_over_twelve_file_pairs_gives_twelve_report_rows(tmp_path):
    """Three source files x four target files: twelve tasks named after the files, one row
    each in da-report; re-running the sweep skips every completed job."""
    from da.report.cli import main as report

    rng = np.random.default_rng(0)
    names = {"src": ["amazon", "caltech", "dslr"], "tgt": ["webcam", "art", "clipart", "photo"]}
    for stem in names["src"] + names["tgt"]:
        y = np.arange(40) % 2
        np.savez(tmp_path / f"{stem}.npz", x=(rng.normal(size=(40, 4)) + y[:, None]), y=y)
    paths = {k: ",".join(str(tmp_path / f"{s}.npz") for s in v) for k, v in names.items()}
    args = ["-m", "dataset=files", f"dataset.source_path={paths['src']}",
            f"dataset.target_path={paths['tgt']}", "method=sk_source_only", "logger=csv",
            f"paths.log_dir={tmp_path / 'logs'}"]
    proc = run_cli([*args, f"hydra.sweep.dir={tmp_path / 'logs' / 'sweep'}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted(p.name for p in (tmp_path / "logs" / "sweep").iterdir() if p.is_dir())
    assert len(runs) == 12 and any(r.endswith("_sk_source_only_dslr2clipart_s0") for r in runs)
    assert report([str(tmp_path / "logs" / "sweep"), "--no-html"]) == 0
    import csv

    rows = list(csv.DictReader((tmp_path / "logs" / "sweep" / "results.csv").open()))
    tasks = {r["task"] for r in rows}
    assert len(rows) == 12 and tasks == {f"files:{s}->{t}" for s in names["src"]
                                         for t in names["tgt"]}
    again = run_cli([*args, f"hydra.sweep.dir={tmp_path / 'logs' / 'again'}"])
    assert (again.stdout + again.stderr).count("skipping: the same config already") == 12


def test_wandb_offline_run_of_a_shallow_method(tmp_path):
    """W&B sees a shallow run as any other: config fields, group, job type, summary, table."""
    from tests.wandb_reader import read_run

    proc = run_cli(["method=sk_source_only", *blobs(tmp_path), "logger=default", "seed=1",
                    "study=wb", f"paths.log_dir={tmp_path / 'logs'}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_file,) = (tmp_path / "logs").rglob("offline-run-*/run-*.wandb")
    run = read_run(run_file)
    config, summary, info = run["config"], run["summary"], run["run"]
    assert (config["method"], config["seed"], config["study"]) == ("sk_source_only", 1, "wb")
    assert (config["source"], config["target"], config["selection"]) == ("src", "tgt",
                                                                         "source_acc")
    assert {"val/source/acc", "val/target/acc_oracle"} <= run["history_keys"]
    assert {"target_acc", "target_acc_oracle", "source_acc"} <= set(summary)
    assert summary["target_confusion/_type"] == "table-file" and summary["target_confusion/nrows"] == 3
    assert info.run_group == "files:src->tgt" and info.job_type == "sk_source_only"
    assert list((tmp_path / "logs").rglob("csv/metrics.csv"))


def test_a_grid_that_does_not_fit_the_data_is_one_line(make_cfg, tmp_path):
    need_skada("sk_sa")
    # two features cannot give 20 subspace components
    with pytest.raises(DAError) as info:
        run(make_cfg("method=sk_sa", "experiment=moons"))
    assert "cannot be fitted on dataset=moons with any of its 9 grid point" in _one_line(info.value)
    assert "narrow method.shallow.grid" in str(info.value)


def test_a_grid_point_that_cannot_be_fitted_is_left_out_as_scikit_learn_does(make_cfg):
    need_skada("sk_sa")
    # 1 component fits two features, 20 cannot: the run goes on with the point that fits
    res = run(make_cfg("method=sk_sa", "experiment=moons",
                       "~method.shallow.grid", "+method.shallow.grid={n_components:[20,1]}"))
    sel = res["selection"]
    assert sel["grid_size"] == 2
    assert sel["params"] == {"n_components": 1} and sel["best_step"] == 1
    assert [f["params"]["n_components"] for f in sel["grid_failures"]] == [20]
    assert [h["step"] for h in res["history"]] == [1]


class _SelfLabellingStub:
    """Stands in for DASVM: fails like it ("got 1 class") when a class has < 2 source samples."""

    def __init__(self, base_estimator):
        self.base_estimator = base_estimator

    def get_params(self, deep=False):
        return {"base_estimator": self.base_estimator}

    def set_params(self, **params):
        self.__dict__.update(params)
        return self

    def fit(self, X, y, sample_domain=None):
        if (y == 1).sum() < 2:
            raise ValueError("The number of classes has to be greater than one; got 1 class")
        self.fitted_ = self.base_estimator.fit(X[y >= 0], y[y >= 0])
        return self

    def decision_function(self, X):
        return self.fitted_.decision_function(X)


def test_one_vs_rest_falls_back_when_self_labelling_leaves_one_class():
    """The member of a class that self-labelling exhausts is the source-only base classifier
    (recorded in ``fallbacks_``); every class can still be predicted."""
    from sklearn.svm import SVC

    from da.shallow.estimators import OneVsRestDA

    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    ys = np.r_[np.zeros(30, int), np.ones(30, int), [2]]
    xs = centres[ys] + rng.normal(size=(61, 2)) * 0.3
    xt = centres + 0.1
    est = OneVsRestDA(_SelfLabellingStub(SVC(kernel="linear")))
    est.fit(np.vstack([xs, xt]), np.r_[ys, np.full(3, -1)],
            sample_domain=np.r_[np.ones(61, int), np.full(3, -2)])
    assert est.fallbacks_ == [2]
    assert est.predict(xt).tolist() == [0, 1, 2]


def test_grid_points_differing_only_in_the_classifier_share_one_adapter_fit(make_cfg, tmp_path,
                                                                          monkeypatch):
    need_skada("sk_coral")
    import joblib
    from skada import CORALAdapter

    fits = []
    original = CORALAdapter.fit

    def counted(self, *args, **kwargs):
        fits.append(self.reg)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CORALAdapter, "fit", counted)
    res = run(make_cfg("method=sk_coral", "experiment=moons", "~method.shallow.grid",
                       "+method.shallow.grid={reg:[0.1,0.5],base_estimator.C:[0.01,1.0,10.0]}"))
    assert res["selection"]["grid_size"] == 6 and len(res["history"]) == 6
    assert sorted(fits) == [0.1, 0.5]  # one adapter fit per reg, not one per point
    assert len({h["val/source/acc"] for h in res["history"]}) > 1  # the classifiers differ
    model = joblib.load(tmp_path / "model.joblib")
    assert model.memory is None  # the temporary cache is gone and not referred to
