"""Target-test metrics (da/metrics.py): known values, scikit-learn as the reference, and the
fields every deep and shallow run writes to results.json, the W&B summary and its folder."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from da.metrics import PER_CLASS, SCALARS, classification_metrics
from da.results import PROBS_FILE, load_probs
from tests.conftest import run_cli


def test_known_values_on_a_hand_example():
    y = torch.tensor([0, 0, 1, 1])
    p = torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    m = classification_metrics(y, p.argmax(1), p, 2)
    assert m["target_per_class_precision"] == pytest.approx([1.0, 2 / 3])
    assert m["target_per_class_recall"] == pytest.approx([0.5, 1.0])
    assert m["target_per_class_f1"] == pytest.approx([2 / 3, 0.8])
    assert m["target_precision"] == pytest.approx(5 / 6)
    assert m["target_recall"] == pytest.approx(0.75)
    assert m["target_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert m["target_auroc"] == pytest.approx(1.0)  # every positive scores above every negative
    assert m["target_confusion"] == [[1, 1], [0, 2]]
    # ROC-AUC reads the probabilities, not the classes: swap two scores, one pair misordered
    p2 = torch.tensor([[0.9, 0.1], [0.25, 0.75], [0.3, 0.7], [0.2, 0.8]])
    assert classification_metrics(y, p2.argmax(1), p2, 2)["target_auroc"] == pytest.approx(0.75)


def test_multiclass_matches_scikit_learn():
    rng = np.random.default_rng(0)
    k, n = 5, 400
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = torch.softmax(torch.tensor(logits), 1)
    pred = p.argmax(1).numpy()
    m = classification_metrics(torch.tensor(y), torch.tensor(pred), p, k)
    assert m["target_precision"] == pytest.approx(precision_score(y, pred, average="macro"))
    assert m["target_recall"] == pytest.approx(recall_score(y, pred, average="macro"))
    assert m["target_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert m["target_per_class_f1"] == pytest.approx(f1_score(y, pred, average=None).tolist())
    assert m["target_auroc"] == pytest.approx(
        roc_auc_score(y, p.numpy(), multi_class="ovr", average="macro"), abs=1e-6)
    assert np.trace(m["target_confusion"]) == int((pred == y).sum())


def test_undefined_values_are_none_not_zero():
    y = torch.tensor([0, 0, 1, 1])
    pred = torch.tensor([0, 1, 1, 1])
    m = classification_metrics(y, pred, None, 3)  # class 2: never seen, never predicted
    assert m["target_per_class_recall"][2] is None and m["target_per_class_f1"][2] is None
    assert m["target_auroc"] is None  # no probabilities
    assert m["target_f1"] == pytest.approx((2 / 3 + 0.8) / 2)  # absent class left out
    one = classification_metrics(torch.zeros(4, dtype=torch.long), torch.zeros(4, dtype=torch.long),
                                 torch.tensor([[0.9, 0.1]] * 4), 2)
    assert one["target_auroc"] is None  # a single class present: no ROC curve


def _check_fields(r: dict, run_dir, k: int) -> None:
    for key in SCALARS:
        assert isinstance(r[key], float), key
    for key in PER_CLASS:
        assert len(r[key]) == k
    assert r["target_per_class_acc"] == r["target_per_class_recall"]
    probs = load_probs(run_dir / r["target_probs_file"])
    assert probs.shape == (int(np.sum(r["target_confusion"])), k)
    assert np.allclose(probs.sum(1), 1, atol=1e-2)


def test_deep_and_shallow_runs_write_the_metrics(tmp_path):
    from tests.test_shallow import blobs
    from tests.wandb_reader import read_run

    deep = run_cli(["debug=fast", "trainer.max_steps=4", "trainer.val_check_interval=2",
                    "callbacks.diagnostics=null", "logger=wandb", "hydra.run.dir=" +
                    str(tmp_path / "deep")])
    assert deep.returncode == 0, deep.stderr[-2000:]
    r = json.loads((tmp_path / "deep" / "results.json").read_text())
    _check_fields(r, tmp_path / "deep", 10)
    assert r["target_probs_file"] == PROBS_FILE
    (run_file,) = (tmp_path / "deep").rglob("offline-run-*/run-*.wandb")
    summary = read_run(run_file)["summary"]
    assert set(SCALARS) | set(PER_CLASS) <= set(summary)
    assert summary["target_auroc"] == pytest.approx(r["target_auroc"])

    shallow = run_cli(["method=sk_source_only", *blobs(tmp_path), "logger=csv",
                       "hydra.run.dir=" + str(tmp_path / "shallow")])
    assert shallow.returncode == 0, shallow.stderr[-2000:]
    r = json.loads((tmp_path / "shallow" / "results.json").read_text())
    _check_fields(r, tmp_path / "shallow", 3)
