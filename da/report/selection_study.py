"""Which label-free validator should be the default ``selection``? (``da-report
--selection-study``; the pre-registered design: experiments/2026-12-07_selection_study/).

The **gap** of a validator on a run is how far under the oracle its pick lands, in points:
``100 x (target_acc_oracle - validators[v]["target_acc"])`` (both from the run's validations,
so it is >= 0). A **cell** is a (task, method) pair; its gap is the mean over its seeds. Per
benchmark (the dataset of the task, ``pacs`` in ``pacs:art_painting->cartoon``) a validator
has a **mean gap** (over cells) and a **worst gap** (the largest cell); overall pools the cells
of every benchmark.

The rule (leave one benchmark out): in each fold, among the validators scored on every run
(*candidates*), those whose worst gap on the training benchmarks is <= :data:`BOUND` are
admissible (all, if none is), and the fold chooses the admissible one with the smallest
pooled mean gap (ties at 0.01 point: the current default, else the first by name). The
default changes to ``v`` only if every fold chooses ``v`` and, on each held-out benchmark,
``v``'s mean gap is at least :data:`MARGIN` under the current default's and its worst gap is
<= max(:data:`BOUND`, the current default's worst).
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from da.errors import DAError
from da.selection import sweep
from da.selection.validators import VALIDATORS

CURRENT = "source_acc"  # conf/train.yaml `selection`
BOUND = 5.0   # points: the worst gap a default may have on a benchmark (issue 27's target)
MARGIN = 0.25  # points: what a new default must gain on every held-out benchmark
TARGET_MEAN = 1.0  # issue 27: the default <= 1 point under the oracle on average
ALL = "all"
LAST = "last (no selection)"

Cells = dict[tuple[str, str, str], list[float]]  # (benchmark, task, method) -> run gaps


def benchmark(task: Any) -> str:
    """The benchmark of a task: its dataset, the part before ``:``."""
    return str(task).split(":", 1)[0]


def study_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The completed runs that have checkpoints to choose among: per-validator picks and
    an oracle (shallow methods and rows carried from a results.csv have neither)."""
    return [r for r in rows if r.get("status", "ok") == "ok" and not r.get("carried_from")
            and r.get("validators") and r.get("target_acc_oracle") is not None]


def run_gaps(rows: list[dict[str, Any]]) -> dict[str, Cells]:
    """``{validator: {(benchmark, task, method): [gap of each run, points]}}``, and under
    :data:`LAST` the gap of the last validation (no selection; a reference, no candidate)."""
    out: dict[str, Cells] = defaultdict(lambda: defaultdict(list))
    for r in study_rows(rows):
        cell = (benchmark(r["task"]), str(r["task"]), str(r["method"]))
        oracle = float(r["target_acc_oracle"])
        for name, v in r["validators"].items():
            if v.get("target_acc") is not None:
                out[name][cell].append(100 * (oracle - float(v["target_acc"])))
        last = [h for h in r.get("history") or [] if sweep.ORACLE_KEY in h]
        if last:
            out[LAST][cell].append(100 * (oracle - float(last[-1][sweep.ORACLE_KEY])))
    return {k: dict(v) for k, v in out.items()}


@dataclass
class Stat:
    """A validator's gaps (points under the oracle) over a set of cells."""
    mean: float
    worst: float        # the largest cell gap (a cell: one task and method, seeds averaged)
    worst_cell: str     # "task / method" of it
    worst_run: float    # the largest gap of a single run
    cells: int
    runs: int


def stat(cells: Cells, benchmarks: set[str] | None = None,
         method: str | None = None) -> Stat | None:
    """The :class:`Stat` of the cells of ``benchmarks`` (all when None), of one ``method``
    (all when None); None if there are none."""
    chosen = {k: v for k, v in cells.items() if (benchmarks is None or k[0] in benchmarks)
              and (method is None or k[2] == method)}
    if not chosen:
        return None
    means = {k: statistics.fmean(v) for k, v in chosen.items()}
    worst = max(means, key=lambda k: (means[k], k))
    return Stat(mean=statistics.fmean(means.values()), worst=means[worst],
                worst_cell=f"{worst[1]} / {worst[2]}",
                worst_run=max(g for v in chosen.values() for g in v),
                cells=len(chosen), runs=sum(len(v) for v in chosen.values()))


def candidates(gaps: dict[str, Cells], rows: list[dict[str, Any]]) -> list[str]:
    """The validators with a pick on every run of the study (in :data:`VALIDATORS` order)."""
    n = len(study_rows(rows))
    return [v for v in VALIDATORS
            if v in gaps and sum(len(g) for g in gaps[v].values()) == n]


@dataclass
class Fold:
    held_out: str
    admissible: list[str]
    chosen: str
    train_mean: float
    held_out_chosen: Stat
    held_out_current: Stat
    confirms: bool  # the chosen one beats the current default on the held-out benchmark


@dataclass
class Decision:
    default: str
    folds: list[Fold]
    reason: str


def choose(gaps: dict[str, Cells], names: list[str], train: set[str]) -> tuple[str, list[str], float]:
    """One fold: (chosen validator, the admissible ones, its pooled mean gap on ``train``)."""
    stats = {v: stat(gaps[v], train) for v in names}
    admissible = [v for v in names if stats[v].worst <= BOUND] or list(names)
    best = min(round(stats[v].mean, 2) for v in admissible)
    tied = [v for v in admissible if round(stats[v].mean, 2) == best]
    chosen = CURRENT if CURRENT in tied else sorted(tied)[0]
    return chosen, admissible, stats[chosen].mean


def decide(gaps: dict[str, Cells], names: list[str]) -> Decision:
    """The leave-one-benchmark-out rule of the module docstring."""
    if CURRENT not in names:
        raise DAError(f"the current default {CURRENT} has no pick on every run; the runs lack "
                      "their validator history (results.json 'validators')")
    benches = sorted({k[0] for v in names for k in gaps[v]})
    if len(benches) < 2:
        return Decision(CURRENT, [], f"one benchmark ({', '.join(benches)}): leave-one-"
                        "benchmark-out needs two; the default stays")
    folds = []
    for b in benches:
        chosen, admissible, train_mean = choose(gaps, names, set(benches) - {b})
        new, cur = stat(gaps[chosen], {b}), stat(gaps[CURRENT], {b})
        confirms = (chosen != CURRENT and new.mean <= cur.mean - MARGIN
                    and new.worst <= max(BOUND, cur.worst))
        folds.append(Fold(b, admissible, chosen, train_mean, new, cur, confirms))
    chosen = {f.chosen for f in folds}
    if len(chosen) > 1:
        return Decision(CURRENT, folds, "the folds choose different validators ("
                        + ", ".join(sorted(chosen)) + "); the default stays")
    (v,) = chosen
    if v == CURRENT:
        return Decision(CURRENT, folds, f"every fold chooses {CURRENT}; the default stays")
    if not all(f.confirms for f in folds):
        failed = [f.held_out for f in folds if not f.confirms]
        return Decision(CURRENT, folds, f"every fold chooses {v}, but on {', '.join(failed)} "
                        f"(held out) it does not beat {CURRENT} by {MARGIN} point with a "
                        "bounded worst gap; the default stays")
    return Decision(v, folds, f"every fold chooses {v} and it beats {CURRENT} on every "
                    "held-out benchmark: the default should change")


def _fmt(s: Stat | None) -> str:
    return "-" if s is None else f"{s.mean:.2f} / {s.worst:.1f}"


def study_table(rows: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Markdown (tables, the rule's folds and decision, the target check) and the CSV rows."""
    gaps = run_gaps(rows)
    if not gaps:
        return ("### selection study\n\nno runs with per-validator picks (results.json "
                "'validators'); nothing to compare"), []
    names = candidates(gaps, rows)
    benches = sorted({k[0] for cells in gaps.values() for k in cells})
    order = [v for v in VALIDATORS if v in gaps] + sorted(set(gaps) - set(VALIDATORS))
    lines = ["### selection study: gap to the ORACLE per validator and benchmark", "",
             "Points under the ORACLE (best validation on target labels), **mean / worst**: "
             "mean over (task, method) cells of the seeds' mean gap / the largest cell gap. "
             "Candidates for the default are the validators with a pick on every run.", "",
             "| validator | candidate | " + " | ".join(benches) + " | **all** | worst run (all) |",
             "|---|---|" + "---|" * (len(benches) + 2)]
    csv_rows = []
    for v in order:
        per = {b: stat(gaps[v], {b}) for b in benches}
        every = stat(gaps[v])
        lines.append(f"| {v}{' (current)' if v == CURRENT else ''} | "
                     f"{'yes' if v in names else 'reference' if v == LAST else 'no'} | "
                     + " | ".join(_fmt(per[b]) for b in benches)
                     + f" | **{_fmt(every)}** | {every.worst_run:.1f} |")
        for b, s in [*per.items(), (ALL, every)]:
            if s is not None:
                csv_rows.append({"validator": v, "benchmark": b, "candidate": v in names,
                                 "cells": s.cells, "runs": s.runs,
                                 "mean_gap": round(s.mean, 3), "worst_gap": round(s.worst, 3),
                                 "worst_cell": s.worst_cell,
                                 "worst_run_gap": round(s.worst_run, 3)})
    ref = gaps[CURRENT] if CURRENT in gaps else next(iter(gaps.values()))
    lines.append("| *cells / runs* | | "
                 + " | ".join(f"{s.cells} / {s.runs}" for s in (stat(ref, {b}) for b in benches))
                 + f" | {stat(ref).cells} / {stat(ref).runs} | |")
    lines += ["", "Worst cell per benchmark (task / method, gap):", ""]
    for v in order:
        worst = "; ".join(f"{b}: {s.worst_cell} {s.worst:.1f}" for b in benches
                          if (s := stat(gaps[v], {b})) is not None)
        lines.append(f"- {v}: {worst}")
    methods = sorted({k[2] for cells in gaps.values() for k in cells})
    lines += ["", "Per method, all benchmarks pooled (mean / worst over its cells; the "
              "candidates and the reference):", "",
              "| validator | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for v in [*names, *([LAST] if LAST in gaps else [])]:
        lines.append(f"| {v} | " + " | ".join(_fmt(stat(gaps[v], method=m)) for m in methods)
                     + " |")
    if CURRENT not in names:
        return "\n".join(lines), csv_rows
    d = decide(gaps, names)
    lines += ["", f"### the rule (leave one benchmark out; bound {BOUND:g}, margin {MARGIN:g})",
              "", "| held out | admissible on the others | chosen | its mean gap on the others "
              f"| held out: chosen mean / worst | held out: {CURRENT} mean / worst | confirms |",
              "|---|---|---|---|---|---|---|"]
    for f in d.folds:
        lines.append(f"| {f.held_out} | {', '.join(f.admissible)} | {f.chosen} | "
                     f"{f.train_mean:.2f} | {_fmt(f.held_out_chosen)} | "
                     f"{_fmt(f.held_out_current)} | {'yes' if f.confirms else 'no'} |")
    lines += ["", f"**Decision: default `{d.default}`** — {d.reason}.", ""]
    s = stat(gaps[d.default])
    ok = s.mean <= TARGET_MEAN and s.worst <= BOUND
    lines.append(f"Target (issue 27: ≤ {TARGET_MEAN:g} mean, ≤ {BOUND:g} worst): `{d.default}` "
                 f"is {s.mean:.2f} / {s.worst:.1f} over all benchmarks — "
                 + ("met." if ok else "missed."))
    if not ok:
        for b in benches:
            sb = stat(gaps[d.default], {b})
            over = sorted(((statistics.fmean(g), k) for k, g in gaps[d.default].items()
                           if k[0] == b and statistics.fmean(g) > BOUND), reverse=True)
            lines.append(f"- {b}: mean {sb.mean:.2f}, worst {sb.worst:.1f}; cells over "
                         f"{BOUND:g}: {len(over)} of {sb.cells}"
                         + (" (" + ", ".join(f"{k[1]} / {k[2]} {g:.1f}" for g, k in over[:5])
                            + (", ..." if len(over) > 5 else "") + ")" if over else ""))
    return "\n".join(lines), csv_rows


def across_methods_table(rows: list[dict[str, Any]]) -> str:
    """Secondary: the sweep-level pick across methods (per task and seed, the method and
    checkpoint a validator scores best, ``ensv`` included) against the best target accuracy
    of any method; per validator and benchmark, mean / worst gap over the task-seed picks."""
    runs = study_rows(rows)
    benches = sorted({benchmark(r["task"]) for r in runs})
    lines = ["### secondary: choosing the method too (sweep-level, across methods)", "",
             "Per task and seed, the method and checkpoint with the best score; gap = points "
             "under the best target accuracy of any method's validations; mean / worst over "
             "the (task, seed) picks.", "",
             "| selector | " + " | ".join(benches) + " | **all** |",
             "|---|" + "---|" * (len(benches) + 1)]
    for name in sweep.SWEEP_SELECTORS:
        try:
            picks = sweep.select(runs, name, across_methods=True)
        except DAError as e:  # ensv without target_probs.npy in some run
            lines.append(f"| {name} | " + " | ".join("-" for _ in benches)
                         + f" | - ({str(e).split(';')[0]}) |")
            continue
        by: dict[str, list[float]] = defaultdict(list)
        for p in picks:
            if p["gap"] is not None:
                by[benchmark(p["task"])].append(0.0 - 100 * p["gap"])  # no -0.0
        every = [g for v in by.values() for g in v]

        def cell(g):
            return f"{statistics.fmean(g):.2f} / {max(g):.1f}" if g else "-"

        lines.append(f"| {name} | " + " | ".join(cell(by.get(b, [])) for b in benches)
                     + f" | **{cell(every)}** |")
    return "\n".join(lines)


def write_study_csv(csv_rows: list[dict[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    fields = ("validator", "benchmark", "candidate", "cells", "runs", "mean_gap", "worst_gap",
              "worst_cell", "worst_run_gap")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(csv_rows)
    return path
