"""results.json: the label-free headline, the last and oracle numbers, the config."""

from __future__ import annotations

import json

import pytest

from da.results import write_json_atomic
from da.train import run


def test_results_json_contents(make_cfg, tmp_path):
    cfg = make_cfg("method=dann", "seed=3", "trainer.max_steps=30")
    run(cfg)
    r = json.loads((tmp_path / "results.json").read_text())
    assert r["status"] == "ok"
    assert r["task"] == "skdigits:clean->shifted"
    assert (r["method"], r["seed"], r["source"], r["target"]) == ("dann", 3, "clean", "shifted")
    assert r["selection"]["monitor"] == "val/source/acc"
    # the selected checkpoint is the step with the best source validation accuracy
    best = max(r["history"], key=lambda h: h["val/source/acc"])
    assert r["selection"]["best_step"] == best["step"]
    assert r["selection"]["best_score"] == pytest.approx(best["val/source/acc"])
    # the oracle is the best target accuracy seen at any validation
    assert r["target_acc_oracle"] == pytest.approx(max(h["val/target/acc_oracle"]
                                                       for h in r["history"]))
    assert r["target_acc_oracle"] >= r["target_acc"] - 1e-9 or len(r["history"]) == 0
    assert r["wall_time_s"] > 0
    assert r["config"]["method"]["name"] == "dann"
    assert len(r["history"]) == 3  # validations at steps 10, 20, 30


def test_history_and_oracle_cover_all_validations_when_the_best_is_early(make_cfg, tmp_path):
    # mode=min on accuracy picks an early checkpoint; testing it must not truncate the
    # history (loading a checkpoint restores callback state as it was at that step)
    cfg = make_cfg("method=source_only", "trainer.max_steps=40", "selection.mode=min")
    r = run(cfg)
    assert [h["step"] for h in r["history"]] == [10, 20, 30, 40]
    assert r["selection"]["best_step"] < 40
    assert r["target_acc_oracle"] == pytest.approx(max(h["val/target/acc_oracle"]
                                                       for h in r["history"]))


def test_target_labels_never_reach_training(make_cfg):
    from da.build import build_datamodule, build_family

    cfg = make_cfg()
    dm = build_datamodule(cfg, build_family(cfg))
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert len(batch["target"]) == 1  # inputs only: labels were dropped at setup


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"a": 1})

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_json_atomic(path, {"a": Boom()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
