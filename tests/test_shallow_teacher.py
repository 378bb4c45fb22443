"""A shallow model as the teacher of a deep student: ``model.joblib`` written by every
``method=sk_*`` run, loaded by ``method=kd method.loss.teacher_path=<run>/model.joblib``.

Uses ``sk_source_only`` (scikit-learn) and ``sk_meda`` (da's own), so nothing here needs skada.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from da.build import build_datamodule, build_family, build_module
from da.errors import DAError
from da.losses.base import LossInputs
from da.shallow.runner import MODEL_FILE, load_model, predict_target
from da.train import run
from tests.test_shallow import blobs


def _teacher(make_cfg, tmp_path, method="sk_source_only", *extra):
    data = blobs(tmp_path, n_s=120, n_t=90, d=12)
    run(make_cfg(f"method={method}", *data, "num_threads=1", *extra))
    path = tmp_path / MODEL_FILE
    return path, data


def _kd(make_cfg, data, path, *extra):
    cfg = make_cfg("method=kd", *data, f"method.loss.teacher_path={path}", *extra)
    return build_module(cfg, build_family(cfg)), cfg


def test_a_shallow_run_writes_the_model_that_gave_its_results(make_cfg, tmp_path):
    path, data = _teacher(make_cfg, tmp_path)
    res = json.loads((tmp_path / "results.json").read_text())
    est = load_model(path)
    cfg = make_cfg("method=sk_source_only", *data)
    dm = build_datamodule(cfg, build_family(cfg))
    dm.setup("fit")
    test = dm.splits["target_test"]
    acc = float(np.mean(predict_target(est, test.x.double().numpy()) == test.y.numpy()))
    assert acc == pytest.approx(res["target_acc"])


@pytest.mark.parametrize("method", ["sk_source_only", "sk_meda"])
def test_hard_shallow_teacher_is_cross_entropy_to_its_predicted_classes(method, make_cfg,
                                                                         tmp_path):
    extra = ["method.shallow.estimator.d=4"] if method == "sk_meda" else []
    path, data = _teacher(make_cfg, tmp_path, method, *extra)
    module, _ = _kd(make_cfg, data, path, "method.loss.hard=true")
    x = torch.randn(16, 12, generator=torch.Generator().manual_seed(0))
    logits = torch.randn(16, 3, generator=torch.Generator().manual_seed(1))
    f = torch.zeros(16, 4)
    out = module.terms["kd"].loss(LossInputs(f, f, logits, logits, torch.zeros(16).long(), 0.5,
                                             x_s=x, x_t=x))
    labels = torch.as_tensor(predict_target(load_model(path), x.double().numpy()))
    assert out.loss.item() == pytest.approx(F.cross_entropy(logits, labels).item(), rel=1e-6)
    other = (labels + 1) % 3  # a different labelling gives a different loss
    assert out.loss.item() != pytest.approx(F.cross_entropy(logits, other).item(), rel=1e-3)


def test_soft_shallow_teacher_uses_its_probabilities(make_cfg, tmp_path):
    path, data = _teacher(make_cfg, tmp_path)
    module, _ = _kd(make_cfg, data, path)
    x = torch.randn(8, 12, generator=torch.Generator().manual_seed(0))
    proba = torch.as_tensor(load_model(path).predict_proba(x.double().numpy())).float()
    student = proba.log()  # a student that already agrees with the teacher: zero KL
    f = torch.zeros(8, 4)
    out = module.terms["kd"].loss(LossInputs(f, f, student, student, torch.zeros(8).long(), 0.5,
                                             x_s=x, x_t=x))
    assert out.loss.abs().item() < 1e-5
    out = module.terms["kd"].loss(LossInputs(f, f, -student, -student, torch.zeros(8).long(),
                                             0.5, x_s=x, x_t=x))
    assert out.loss.item() > 0.01


def test_student_trains_end_to_end_with_a_shallow_teacher(make_cfg, tmp_path):
    path, data = _teacher(make_cfg, tmp_path)
    (tmp_path / "results.json").rename(tmp_path / "teacher_results.json")
    res = run(make_cfg("method=kd", *data, f"method.loss.teacher_path={path}",
                       "method.loss.hard=true", "trainer.max_steps=6",
                       "trainer.val_check_interval=3", "callbacks.diagnostics=null"))
    assert res["status"] == "ok" and res["method"] == "kd" and res["steps"] == 6


def test_bad_shallow_teachers_are_one_line_errors(make_cfg, tmp_path):
    path, data = _teacher(make_cfg, tmp_path, "sk_meda", "method.shallow.estimator.d=4")
    bad = tmp_path / "corrupt.joblib"
    bad.write_bytes(b"not a pickle")
    for p, match in [(tmp_path / "missing.joblib", "no shallow model at"),
                     (bad, "is not a readable model.joblib")]:
        with pytest.raises(DAError, match=match) as err:
            _kd(make_cfg, data, p, "method.loss.hard=true")
        assert "\n" not in str(err.value)
    with pytest.raises(DAError, match="set method.loss.hard=true"):  # MEDA has no probabilities
        _kd(make_cfg, data, path)
    with pytest.raises(DAError, match="set method.loss.apply_to=target"):
        _kd(make_cfg, data, path, "method.loss.hard=true", "method.loss.apply_to=both")
    # a student whose inputs are not the teacher's: one line naming the width
    module, _ = _kd(make_cfg, data, path, "method.loss.hard=true")
    x = torch.randn(4, 7)
    f, logits = torch.zeros(4, 4), torch.zeros(4, 3)
    with pytest.raises(DAError, match="cannot label inputs of width 7") as err:
        module.terms["kd"].loss(LossInputs(f, f, logits, logits, torch.zeros(4).long(), 0.5,
                                           x_s=x, x_t=x))
    assert "\n" not in str(err.value)
