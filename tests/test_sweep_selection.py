"""Sweep-level selection (da/selection/sweep.py, da-report --select-by): EnsV on a known
case, and a validator choosing a configuration across a sweep, beside the oracle."""

from __future__ import annotations

import numpy as np
import pytest

from da.errors import DAError
from da.report.cli import main
from da.results import PROBS_FILE, save_probs, write_json_atomic
from da.selection.sweep import ensv_scores, select

N, K = 300, 10
TRUTH = np.random.default_rng(0).integers(0, K, N)


def _probs(correct: float, confidence: float, seed: int) -> np.ndarray:
    """Predictions right on a ``correct`` share of samples, with ``confidence`` on the class."""
    rng = np.random.default_rng(seed)
    pred = np.where(rng.random(N) < correct, TRUTH, (TRUTH + rng.integers(1, K, N)) % K)
    p = np.full((N, K), (1 - confidence) / (K - 1))
    p[np.arange(N), pred] = confidence
    return p


def test_ensv_prefers_the_candidate_closest_to_the_consensus_not_the_most_confident():
    good, fair, fair2 = _probs(0.95, 0.75, 1), _probs(0.7, 0.65, 2), _probs(0.65, 0.6, 3)
    loud = _probs(0.25, 0.9, 4)  # wrong most of the time, and surest: entropy would pick it
    scores = ensv_scores([loud, fair, good, fair2])
    assert int(np.argmax(scores)) == 2 and int(np.argmin(scores)) == 0
    with pytest.raises(DAError, match="same target samples"):
        ensv_scores([good, good[:10]])


def _run(root, name, method, weight, seed, hist, acc, probs=None):
    d = root / name
    write_json_atomic(d / "results.json", {
        "status": "ok", "task": "toy:a->b", "method": method, "seed": seed,
        "target_acc": acc, "target_acc_oracle": max(h[1] for h in hist),
        "target_acc_last": hist[-1][1], "source_acc": 0.9,
        "config": {"method": {"name": method, "weight": weight}, "seed": seed,
                   "paths": {"output_dir": str(d)},
                   "callbacks": {"model_checkpoint": {"dirpath": str(d / "checkpoints")}}},
        "history": [{"step": 10 * (i + 1), "val/select/iwv": s, "val/target/acc_oracle": a}
                    for i, (s, a) in enumerate(hist)]})
    if probs is not None:
        save_probs(d / PROBS_FILE, probs)


def test_select_by_a_validator_picks_the_configuration_and_reports_the_gap(tmp_path, capsys):
    # weight 0.1: its best iwv (0.2) comes at 70 % target acc; weight 1.0: best iwv 0.5 at 90 %
    _run(tmp_path, "w01", "dann", 0.1, 0, [(0.3, 0.6), (0.2, 0.7)], 0.7)
    _run(tmp_path, "w1", "dann", 1.0, 0, [(0.5, 0.9), (0.6, 0.95)], 0.9)
    (pick,) = select(__import__("da.report.collect", fromlist=["x"]).collect_runs([tmp_path]),
                     "iwv")
    assert pick["chosen"] == "dann method.weight=0.1" and pick["target_acc"] == 0.7
    assert pick["oracle"] == 0.95 and pick["gap"] == pytest.approx(-0.25)
    assert main([str(tmp_path), "--no-html", "--select-by", "iwv"]) == 0
    out = capsys.readouterr().out
    assert "| toy:a->b | 0 | 2 | dann method.weight=0.1 | 70.0 | 70.0 | 95.0 | -25.0 |" in out
    assert "| **all** | -25.0 | -25.0 |" in out
    # the headline per method: the chosen configuration's accuracy, a second task averaged in
    for name, w, hist in (("t2_w01", 0.1, [(0.9, 0.8)]), ("t2_w1", 1.0, [(0.1, 0.6)])):
        _run(tmp_path, name, "dann", w, 0, hist, hist[0][1])
        res = tmp_path / name / "results.json"
        res.write_text(res.read_text().replace("toy:a->b", "toy:a->c"))
    assert main([str(tmp_path), "--no-html", "--select-by", "iwv"]) == 0
    out = capsys.readouterr().out
    # toy:a->c: iwv is a risk (lower is better), so weight 1.0 (0.1) at 60 %, not 0.9 at 80 %
    assert "| dann | 2 | 65.0 | 65.0 | 87.5 |" in out  # (70 + 60) / 2; oracles (95 + 80) / 2


def test_select_by_ensv_across_methods_and_old_runs_are_named(tmp_path, capsys):
    cands = [_probs(0.95, 0.75, 1), _probs(0.7, 0.65, 2), _probs(0.65, 0.6, 3),
             _probs(0.25, 0.9, 4)]
    acc = [float(np.mean(p.argmax(1) == TRUTH)) for p in cands]
    for i, (name, method) in enumerate(zip("abcd", ["dann", "mmd", "coral", "entropy"],
                                           strict=True)):
        _run(tmp_path, name, method, 1.0, 0, [(0.5, acc[i])], acc[i], cands[i])
    assert main([str(tmp_path), "--no-html", "--select-by", "ensv", "--across-methods"]) == 0
    out = capsys.readouterr().out
    assert f"| toy:a->b | 0 | 4 | dann | {100 * acc[0]:.1f} |" in out
    # per method (the default), each method is its own single candidate
    assert main([str(tmp_path), "--no-html", "--select-by", "ensv"]) == 0
    assert capsys.readouterr().out.count("| toy:a->b | 0 | 1 |") == 4
    (tmp_path / "a" / PROBS_FILE).unlink()  # a run from before target_probs.npy
    assert main([str(tmp_path), "--no-html", "--select-by", "ensv"]) == 2
    assert "needs target_probs.npy in every run" in capsys.readouterr().err
