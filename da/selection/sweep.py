"""Sweep-level selection: choose a *configuration* (hyperparameters, or the method) per task
and seed without target labels, as the DANN paper chose its lambda and learning rate.

Candidates are the completed runs of one task and seed (and one method, unless
``across_methods``). A candidate's label-free score under a checkpoint validator
(:data:`da.selection.validators.VALIDATORS`) is its best score over its validations, and
its result is the target accuracy at that validation: the validator chooses the
configuration and its checkpoint together. The ORACLE is the best target accuracy of any
candidate at any validation.

``ensv`` (EnsV, Hu et al., NeurIPS 2024) is a selector of candidates only: the mean of the
candidates' target class probabilities (``target_probs.npy``, the selected checkpoint of each
run) gives pseudo-labels, and each candidate scores the share of its predictions that agree
with them. The ensemble's loss is at most the candidates' average (Jensen, for a convex
loss), so the candidate closest to it avoids the worst picks. Its result is the run's ``target_acc``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from da.errors import DAError
from da.results import PROBS_FILE, load_probs
from da.selection.validators import VALIDATORS

ORACLE_KEY = "val/target/acc_oracle"
SWEEP_SELECTORS = (*VALIDATORS, "ensv")
# config keys that name a run's place or seed, never a hyperparameter
_NOT_HPARAMS = ("paths", "hydra", "seed", "tags", "force", "resume", "study", "task_name",
                "optimized_metric")


def ensv_scores(probs: list[np.ndarray]) -> list[float]:
    """EnsV: each candidate's agreement with the argmax of the candidates' mean probabilities."""
    shapes = {p.shape for p in probs}
    if len(shapes) != 1:
        raise DAError(f"ensv needs the candidates' target probabilities on the same target "
                      f"samples, got shapes {sorted(shapes)}; compare runs of one task and split")
    pseudo = np.mean(probs, axis=0).argmax(1)
    return [float(np.mean(p.argmax(1) == pseudo)) for p in probs]


def _validator_pick(row: dict[str, Any], name: str) -> tuple[float, float] | None:
    """(oriented score, target accuracy) at the validation ``name`` scores best, or None."""
    key, mode = VALIDATORS[name]
    sign = 1.0 if mode == "max" else -1.0
    hist = [h for h in row.get("history") or [] if key in h and ORACLE_KEY in h]
    if not hist:
        return None
    best = max(hist, key=lambda h: sign * h[key])  # first best on ties
    return sign * best[key], float(best[ORACLE_KEY])


def _flat(cfg: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(cfg, dict):
        return {prefix: cfg}
    out: dict[str, Any] = {}
    for k, v in cfg.items():
        if not prefix and k in _NOT_HPARAMS:
            continue
        out.update(_flat(v, f"{prefix}{k}."))
    return {k.rstrip("."): v for k, v in out.items()}


def _inside_run(value: Any, run_dir: Any) -> bool:
    """Whether a config value is a path in the run's own folder (a checkpoint or logger
    directory): it differs between runs without being a hyperparameter."""
    if not isinstance(value, str) or not run_dir:
        return False
    try:
        return Path(value).resolve().is_relative_to(Path(run_dir).resolve())
    except (OSError, ValueError):
        return False


def config_labels(rows: list[dict[str, Any]]) -> list[str]:
    """Each run named by its method and the config values in which the runs differ (paths
    inside each run's own folder left out)."""
    flats = [_flat(r.get("config") or {}) for r in rows]
    keys = sorted({k for f in flats for k in f})
    diff = [k for k in keys if len({repr(f.get(k)) for f in flats}) > 1 and k != "method.name"
            and not all(_inside_run(f.get(k), r.get("run_dir"))
                        for r, f in zip(rows, flats, strict=True) if f.get(k) is not None)]
    return [" ".join([str(r["method"]), *(f"{k}={f.get(k)}" for k in diff[:4])]).strip()
            for r, f in zip(rows, flats, strict=True)]


def select(rows: list[dict[str, Any]], name: str,
           across_methods: bool = False) -> list[dict[str, Any]]:
    """Per task and seed (and method unless ``across_methods``): the chosen candidate."""
    if name not in SWEEP_SELECTORS:
        raise DAError(f"--select-by {name} is not a validator; choose one of "
                      f"{', '.join(SWEEP_SELECTORS)}")
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r.get("status", "ok") == "ok" and not r.get("carried_from"):
            key = (str(r["task"]), r["seed"]) + (() if across_methods else (str(r["method"]),))
            groups[key].append(r)
    out = []
    for key in sorted(groups, key=str):
        cands = groups[key]
        labels = config_labels(cands)
        if name == "ensv":
            missing = [c["run_dir"] for c in cands if not (Path(c["run_dir"]) / PROBS_FILE).is_file()]
            if missing:
                raise DAError(f"--select-by ensv needs {PROBS_FILE} in every run, but "
                              f"{missing[0]} has none (a run from before it was written); "
                              "rerun it or choose another validator")
            scores = ensv_scores([load_probs(Path(c["run_dir"]) / PROBS_FILE) for c in cands])
            picks = [(s, c.get("target_acc")) for s, c in zip(scores, cands, strict=True)]
        else:
            picks = [_validator_pick(c, name) for c in cands]
        valid = [i for i, p in enumerate(picks) if p is not None and p[1] is not None]
        if not valid:
            continue
        best = max(valid, key=lambda i: picks[i][0])  # first best on ties
        oracles = [c.get("target_acc_oracle") for c in cands if c.get("target_acc_oracle") is not None]
        oracle = max(oracles) if oracles else None
        acc = float(picks[best][1])
        out.append({"task": key[0], "seed": key[1], "method": cands[best]["method"],
                    "candidates": len(valid), "chosen": labels[best],
                    "run_dir": cands[best]["run_dir"], "target_acc": acc,
                    "run_target_acc": cands[best].get("target_acc"), "oracle": oracle,
                    "gap": None if oracle is None else acc - oracle})
    return out


def sweep_table(picks: list[dict[str, Any]], name: str) -> str:
    """Markdown: each task / seed's chosen configuration beside the oracle, then per task
    and overall the mean and the worst gap to the oracle (points)."""
    if not picks:
        return (f"### sweep-level selection by {name}\n\nno candidates with {name} scores "
                "(older runs lack the newer validators; rerun them)")
    lines = [f"### sweep-level selection by {name}", "",
             "| task | seed | candidates | chosen configuration | target acc (chosen by "
             f"{name}) | its run's target acc (checkpoint selection) | ORACLE (sweep) | gap |",
             "|---|---|---|---|---|---|---|---|"]

    def pct(v):
        return "-" if v is None else f"{100 * v:.1f}"

    for p in picks:
        gap = "-" if p["gap"] is None else f"{100 * p['gap']:+.1f}"
        lines.append(f"| {p['task']} | {p['seed']} | {p['candidates']} | {p['chosen']} | "
                     f"{pct(p['target_acc'])} | {pct(p['run_target_acc'])} | "
                     f"{pct(p['oracle'])} | {gap} |")
    gaps: dict[str, list[float]] = defaultdict(list)
    for p in picks:
        if p["gap"] is not None:
            gaps[p["task"]].append(100 * p["gap"])
    lines += ["", "| task | mean gap to ORACLE | worst gap |", "|---|---|---|"]
    for task, g in sorted(gaps.items()):
        lines.append(f"| {task} | {np.mean(g):+.1f} | {min(g):+.1f} |")
    every = [x for g in gaps.values() for x in g]
    if every:
        lines.append(f"| **all** | {np.mean(every):+.1f} | {min(every):+.1f} |")
    return "\n".join(lines + ["", *method_means(picks, name)])


def method_means(picks: list[dict[str, Any]], name: str) -> list[str]:
    """Markdown lines: per method chosen, the mean over tasks of the seeds' mean (the
    headline of a sweep whose hyperparameters ``name`` chose), beside the ORACLE."""
    cols = ("target_acc", "run_target_acc", "oracle")
    per: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for p in picks:
        for c in cols:
            if p[c] is not None:
                per[str(p["method"])][p["task"]][c].append(100 * float(p[c]))
    lines = [f"mean over tasks (of the seeds' mean), per method chosen by {name}:", "",
             f"| method | tasks | target acc (chosen by {name}) | its run's target acc "
             "(checkpoint selection) | ORACLE (sweep) |", "|---|---|---|---|---|"]
    for method in sorted(per):
        tasks = per[method]
        means = []
        for c in cols:
            vals = [float(np.mean(t[c])) for t in tasks.values() if t[c]]
            means.append(f"{np.mean(vals):.1f}" if vals else "-")
        lines.append(f"| {method} | {len(tasks)} | {' | '.join(means)} |")
    return lines
