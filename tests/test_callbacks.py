import logging
from types import SimpleNamespace

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
