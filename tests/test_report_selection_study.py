"""da-report --selection-study: per validator and benchmark the mean and the worst gap to the
oracle, and the leave-one-benchmark-out rule for the default selection (issue 27, item 3)."""

from __future__ import annotations

import csv

import pytest

from da.report.cli import main
from da.report.collect import collect_runs
from da.report.selection_study import LAST, candidates, decide, run_gaps, stat
from da.results import write_json_atomic


def _run(root, task, method, seed, oracle, picks, last=None):
    """A completed run whose validators picked checkpoints at the target accuracies ``picks``
    (and whose last validation, if given, scored ``last``)."""
    d = root / f"{task.replace(':', '_').replace('->', '2')}_{method}_s{seed}"
    history = [] if last is None else [{"step": 1, "val/target/acc_oracle": oracle},
                                       {"step": 2, "val/target/acc_oracle": last}]
    write_json_atomic(d / "results.json", {
        "status": "ok", "task": task, "method": method, "seed": seed,
        "target_acc": picks["source_acc"], "target_acc_oracle": oracle,
        "target_acc_last": oracle, "source_acc": 0.9, "history": history,
        "validators": {v: {"target_acc": a} for v, a in picks.items()}})


def test_gap_is_oracle_minus_pick_and_the_worst_is_the_worst_cell(tmp_path):
    # benchmark a: cell (a:x->y, m) has gaps 0 and 10 (mean 5), cell (a:y->x, m) 1 and 1
    _run(tmp_path, "a:x->y", "m", 0, 0.90, {"source_acc": 0.90})
    _run(tmp_path, "a:x->y", "m", 1, 0.90, {"source_acc": 0.80})
    _run(tmp_path, "a:y->x", "m", 0, 0.50, {"source_acc": 0.49})
    _run(tmp_path, "a:y->x", "m", 1, 0.60, {"source_acc": 0.59})
    _run(tmp_path, "b:x->y", "m", 0, 0.70, {"source_acc": 0.68}, last=0.64)  # b: one cell, 2
    gaps = run_gaps(collect_runs([tmp_path]))
    assert gaps[LAST] == {("b", "b:x->y", "m"): [pytest.approx(6.0)]}  # no selection: 70 - 64
    a = stat(gaps["source_acc"], {"a"})
    assert a.mean == pytest.approx(3.0) and a.worst == pytest.approx(5.0)
    assert a.worst_run == pytest.approx(10.0) and a.worst_cell == "a:x->y / m"
    assert (a.cells, a.runs) == (2, 4)
    every = stat(gaps["source_acc"])  # cells pooled: (5 + 1 + 2) / 3
    assert every.mean == pytest.approx(8 / 3) and every.worst == pytest.approx(5.0)


def _two_benchmarks(root, entropy_on_b):
    """source_acc 3 points under the oracle everywhere; entropy 1 under on a, and
    ``entropy_on_b`` under on b; snd has no pick on one run (not a candidate)."""
    for bench, ent in (("a", 1.0), ("b", entropy_on_b)):
        for task in (f"{bench}:x->y", f"{bench}:y->x"):
            for seed in (0, 1):
                picks = {"source_acc": 0.77, "entropy": 0.80 - ent / 100}
                if not (bench == "b" and seed == 1):
                    picks["snd"] = 0.80
                _run(root, task, "m", seed, 0.80, picks)


def test_rule_changes_the_default_only_when_every_fold_chooses_it_and_it_holds_out(tmp_path):
    _two_benchmarks(tmp_path / "better", entropy_on_b=2.0)
    rows = collect_runs([tmp_path / "better"])
    gaps = run_gaps(rows)
    assert candidates(gaps, rows) == ["source_acc", "entropy"]  # snd misses a run
    d = decide(gaps, candidates(gaps, rows))
    assert [f.chosen for f in d.folds] == ["entropy", "entropy"]
    assert all(f.confirms for f in d.folds) and d.default == "entropy"

    # catastrophic on b: the fold that trains on b alone excludes it (worst 20 > 5) and
    # keeps source_acc; the fold that trains on a chooses it, and b does not confirm it
    _two_benchmarks(tmp_path / "worse", entropy_on_b=20.0)
    rows = collect_runs([tmp_path / "worse"])
    gaps = run_gaps(rows)
    d = decide(gaps, candidates(gaps, rows))
    assert [(f.held_out, f.chosen, f.confirms) for f in d.folds] == [
        ("a", "source_acc", False), ("b", "entropy", False)]
    assert d.default == "source_acc" and "different validators" in d.reason


def test_selection_study_cli_prints_the_table_and_the_decision_and_writes_the_csv(
        tmp_path, capsys):
    _two_benchmarks(tmp_path / "runs", entropy_on_b=2.0)
    assert main([str(tmp_path / "runs"), "--no-html", "--selection-study",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "| source_acc (current) | yes | 3.00 / 3.0 | 3.00 / 3.0 | **3.00 / 3.0** | 3.0 |" in out
    assert "| snd | no |" in out
    assert "**Decision: default `entropy`**" in out
    assert "`entropy` is 1.50 / 2.0 over all benchmarks — missed." in out
    rows = {(r["validator"], r["benchmark"]): r
            for r in csv.DictReader(open(tmp_path / "out" / "selection_study.csv"))}
    assert float(rows["entropy", "all"]["mean_gap"]) == pytest.approx(1.5)
    assert rows["entropy", "b"]["cells"] == "2" and rows["entropy", "b"]["runs"] == "4"
