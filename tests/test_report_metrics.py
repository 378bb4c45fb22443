"""da-report --metric: the headline column from the new target metrics; old runs still table."""

from __future__ import annotations

import csv

import pytest

from da.report.cli import main
from da.results import write_json_atomic


def _run(root, method, seed, acc, f1=None, auroc=None):
    rec = {"status": "ok", "task": "toy:a->b", "method": method, "seed": seed,
           "target_acc": acc, "target_acc_oracle": acc, "target_acc_last": acc,
           "source_acc": 1.0, "selection": {"name": "source_acc"}}
    if f1 is not None:
        rec.update(target_f1=f1, target_precision=f1 + 0.01, target_recall=f1 - 0.01,
                   target_auroc=auroc)
    write_json_atomic(root / f"{method}_s{seed}" / "results.json", rec)


def test_metric_heads_the_table_and_delta(tmp_path, capsys):
    _run(tmp_path, "source_only", 0, 0.60, f1=0.50, auroc=0.70)
    _run(tmp_path, "source_only", 1, 0.60, f1=0.54, auroc=0.74)
    _run(tmp_path, "dann", 0, 0.70, f1=0.40, auroc=0.90)  # higher accuracy, lower F1
    assert main([str(tmp_path), "--no-html", "--metric", "target_f1"]) == 0
    out = capsys.readouterr().out
    assert "| method | seeds | target macro-F1 (label-free selection) | target acc" in out
    assert "| source_only | 2 | 52.0 ± 2.8 | 60.0 ± 0.0 |" in out
    assert "| dann | 1 | 40.0 | 70.0 |" in out
    assert "-12.0 NEGATIVE TRANSFER" in out  # Δ in the chosen metric, not in accuracy
    assert main([str(tmp_path), "--no-html", "--metric", "target_auroc"]) == 0
    assert "| dann | 1 | 90.0 |" in capsys.readouterr().out
    # accuracy stays the default headline
    assert main([str(tmp_path), "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "| dann | 1 | 70.0 |" in out and "+10.0" in out
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {"target_precision", "target_recall", "target_auroc"} <= set(rows[0])
    assert {r["target_auroc"] for r in rows} == {"0.7", "0.74", "0.9"}


def test_old_runs_without_the_new_fields_still_table(tmp_path, capsys):
    _run(tmp_path, "source_only", 0, 0.60)  # a results.json from before the new metrics
    _run(tmp_path, "dann", 0, 0.70, f1=0.65, auroc=0.8)
    assert main([str(tmp_path), "--metric", "target_precision"]) == 0
    out = capsys.readouterr().out
    assert "| source_only | 1 | - | 60.0 |" in out
    assert "| dann | 1 | 66.0 | 70.0 |" in out


def test_unknown_metric_is_refused(tmp_path, capsys):
    _run(tmp_path, "dann", 0, 0.70)
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path), "--metric", "kappa"])
    assert e.value.code == 2
    assert "invalid choice: 'kappa'" in capsys.readouterr().err
