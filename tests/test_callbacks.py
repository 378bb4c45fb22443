import logging
from types import SimpleNamespace

import pytest
import torch

from da.callbacks.collapse import AdversarialCollapse


def _trainer(step, acc):
    return SimpleNamespace(global_step=step,
                           callback_metrics={"train/dann/disc_acc": torch.tensor(acc)})


def test_collapse_warns_once_after_patience(caplog):
    cb = AdversarialCollapse(threshold=0.99, patience=30, every=10)
    with caplog.at_level(logging.WARNING, logger="da.train"):
        for step in range(0, 100, 10):
            cb.on_train_batch_end(_trainer(step, 1.0))
    msgs = [r.message for r in caplog.records if "collapsed" in r.message]
    assert len(msgs) == 1 and "train/dann/disc_acc" in msgs[0]


def test_no_warning_when_the_game_is_balanced(caplog):
    cb = AdversarialCollapse(threshold=0.99, patience=30, every=10)
    with caplog.at_level(logging.WARNING, logger="da.train"):
        for i, step in enumerate(range(0, 200, 10)):
            cb.on_train_batch_end(_trainer(step, 1.0 if i % 3 else 0.6))  # streak never reaches 30
    assert not [r for r in caplog.records if "collapsed" in r.message]


def test_diagnostics_start_and_end_in_results(make_cfg, tmp_path):
    from da.train import run

    r = run(make_cfg("method=dann", "trainer.max_steps=20", "callbacks.diagnostics.tsne=true"))
    d = r["diagnostics"]
    assert set(d) == {"a_distance_start", "mmd2_start", "a_distance_end", "mmd2_end"}
    assert all(-2.0 <= d[k] <= 2.0 for k in ("a_distance_start", "a_distance_end"))
    assert (tmp_path / "tsne.png").stat().st_size > 1000
    assert len(r["target_per_class_acc"]) == 10
    from da.data.skdigits import SkDigits

    n = len(SkDigits().load("shifted", "test"))
    cm = r["target_confusion"]
    assert sum(map(sum, cm)) == n  # the whole target test split
    # the confusion matrix agrees with the reported accuracy of the selected checkpoint
    assert sum(cm[i][i] for i in range(10)) / n == pytest.approx(r["target_acc"], abs=1e-6)


def test_proxy_a_distance_limits():
    import numpy as np

    from da.callbacks.diagnostics import proxy_a_distance

    rng = np.random.default_rng(0)
    same = proxy_a_distance(rng.normal(size=(300, 4)), rng.normal(size=(300, 4)))
    apart = proxy_a_distance(rng.normal(size=(300, 4)), rng.normal(size=(300, 4)) + 5)
    assert same < 0.3 and apart > 1.9
