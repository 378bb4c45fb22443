"""Aggregate runs per task x method (mean and sample std over seeds) and format tables."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from da.errors import DAError

REFERENCE_CSV = Path(__file__).with_name("reference.csv")

METRICS = ("target_acc", "target_acc_oracle", "target_acc_last", "source_acc")
# what `da-report --metric` may put in the headline column (the label-free selected model's
# value on the target test split; da/metrics.py); older runs lack the newer ones: "-"
TARGET_METRICS = ("target_acc", "target_f1", "target_precision", "target_recall",
                  "target_auroc")
HEADERS = {
    "target_acc": "target acc (label-free selection)",
    "target_acc_oracle": "ORACLE target acc",
    "target_acc_last": "target acc (last)",
    "source_acc": "source acc",
    "target_f1": "target macro-F1 (label-free selection)",
    "target_precision": "target macro-precision (label-free selection)",
    "target_recall": "target macro-recall (label-free selection)",
    "target_auroc": "target ROC-AUC (label-free selection)",
}


def columns(metric: str = "target_acc") -> tuple[str, ...]:
    """The table's columns: ``metric`` first, then the accuracies that frame it."""
    if metric not in TARGET_METRICS:
        raise DAError(f"--metric {metric} is not a target metric; choose one of "
                      f"{', '.join(TARGET_METRICS)}")
    return METRICS if metric == "target_acc" else (metric, *METRICS)


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def std(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    def fmt(self, scale: float = 100.0) -> str:
        if not self.values:
            return "-"
        if len(self.values) == 1:  # one seed: no spread was measured, so none is printed
            return f"{self.mean * scale:.1f}"
        return f"{self.mean * scale:.1f} ± {self.std * scale:.1f}"


@dataclass
class Group:
    task: str
    method: str
    seeds: list[int] = field(default_factory=list)
    cells: dict[str, Cell] = field(
        default_factory=lambda: {m: Cell() for m in (*METRICS, *TARGET_METRICS)})
    failed: int = 0
    wall_s: list[float] = field(default_factory=list)


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Group]]:
    """``{task: {method: Group}}`` over the completed runs; failed runs are counted."""
    out: dict[str, dict[str, Group]] = defaultdict(dict)
    for r in rows:
        g = out[str(r["task"])].setdefault(str(r["method"]), Group(str(r["task"]), str(r["method"])))
        if r.get("status", "ok") != "ok":
            g.failed += 1
            continue
        g.seeds.append(r["seed"])
        if r.get("wall_time_s") not in (None, ""):
            g.wall_s.append(float(r["wall_time_s"]))
        for m in g.cells:
            if r.get(m) is not None:
                g.cells[m].values.append(float(r[m]))
    return dict(out)


Reference = dict[tuple[str, str], tuple[float, str]]


def load_reference(path: str | Path | None = None) -> Reference:
    """Published accuracies ``{(task, method): (acc %, source)}`` from a CSV with columns
    ``task, method, acc, source`` (default: the table shipped with ``da``, transcribed from
    the papers and codebases it cites; most of them picked the epoch on target labels)."""
    path = Path(path) if path else REFERENCE_CSV
    if not path.is_file():
        raise DAError(f"reference file {path} does not exist; give a CSV with columns "
                      "task,method,acc,source")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = {"task", "method", "acc", "source"} - set(reader.fieldnames or ())
        if missing:
            raise DAError(f"reference file {path} lacks column(s) {sorted(missing)}; expected "
                          "task,method,acc,source")
        try:
            return {(r["task"], r["method"]): (float(r["acc"]), r["source"]) for r in reader}
        except ValueError as err:
            raise DAError(f"reference file {path}: an acc value is not a number ({err})") from err


def _published(reference: Reference | None, task: str, method: str) -> str:
    hit = (reference or {}).get((task, method))
    return f"{hit[0]:.1f}" if hit else "-"


def average_table(groups: dict[str, dict[str, Group]],
                  reference: Reference | None = None, metric: str = "target_acc") -> list[str]:
    """With several tasks: per method, the mean over tasks of the per-task means.

    A method's published average is over the tasks that method ran on, shown only when
    the reference covers all of them (a method run on fewer tasks is compared on those).
    """
    if len(groups) < 2:
        return []
    methods = sorted({m for t in groups.values() for m in t})
    ref_col = " | published" if reference is not None else ""
    cols = columns(metric)
    lines = [f"### average over {len(groups)} tasks", "",
             "| method | tasks | " + " | ".join(HEADERS[m] for m in cols) + ref_col
             + " | wall s / run (median) |",
             "|---|---|" + "---|" * (len(cols) + bool(ref_col) + 1)]

    def published_mean(name: str, tasks) -> str:
        vals = [reference.get((t, name)) for t in tasks] if reference else []
        return f"{statistics.fmean(v[0] for v in vals):.1f}" if vals and all(vals) else "-"

    for name in methods:
        tasks = [k for k, t in groups.items() if name in t]
        per_task = [groups[k][name] for k in tasks]
        cells = []
        for m in cols:
            means = [g.cells[m].mean for g in per_task if g.cells[m].mean is not None]
            cells.append(f"{100 * statistics.fmean(means):.1f}" if means else "-")
        if reference is not None:
            cells.append(published_mean(name, tasks))
        walls = [w for g in per_task for w in g.wall_s]
        cells.append(f"{statistics.median(walls):.1f}" if walls else "-")
        lines.append(f"| {name} | {len(per_task)} | " + " | ".join(cells) + " |")
    if reference is not None:
        others = sorted({m for (t, m) in reference if t in groups} - set(methods))
        for name in others:
            avg = published_mean(name, groups)
            if avg != "-":
                lines.append(f"| *{name}* (published only) | {len(groups)} | "
                             + " | ".join("-" for _ in cols) + f" | {avg} | - |")
    return [*lines, ""]


def below(mean: float, base: float) -> bool:
    """``mean`` under ``base`` at the printed precision (0.1 point): float noise in a mean of
    equal accuracies, or a gap that prints as -0.0, is no negative transfer."""
    return round((mean - base) * 100, 1) < 0


def negative_transfer(groups: dict[str, dict[str, Group]], baseline: str = "source_only",
                      metric: str = "target_acc") -> dict[tuple[str, str], str]:
    """Methods whose mean label-free ``metric`` (accuracy) is below the baseline's on the
    same task."""
    flags = {}
    for task, methods in groups.items():
        base = methods.get(baseline)
        b = base.cells[metric].mean if base else None
        for name, g in methods.items():
            m = g.cells[metric].mean
            if name != baseline and b is not None and m is not None and below(m, b):
                flags[(task, name)] = f"NEGATIVE TRANSFER ({(m - b) * 100:+.1f} vs {baseline})"
    return flags


def markdown_tables(groups: dict[str, dict[str, Group]], baseline: str = "source_only",
                    reference: Reference | None = None, metric: str = "target_acc") -> str:
    """A Markdown table per task: methods as rows, mean ± std (%) over seeds as columns.

    ``metric`` (one of :data:`TARGET_METRICS`) heads the table and the Δ column; with a
    metric other than accuracy, the accuracies stay beside it.

    With ``reference`` (see :func:`load_reference`) a ``published`` column sits beside
    ours, and published methods we did not run are listed below ours, in italics.
    """
    lines = []
    ref_col = " published |" if reference is not None else ""
    cols = columns(metric)
    for task in sorted(groups):
        methods = groups[task]
        base = methods.get(baseline)
        base_mean = base.cells[metric].mean if base else None
        lines += [f"### {task}", "",
                  "| method | seeds | " + " | ".join(HEADERS[m] for m in cols)
                  + f" | Δ vs {baseline} |" + ref_col,
                  "|---|---|" + "---|" * len(cols) + "---|" + ("---|" if ref_col else "")]
        order = sorted(methods, key=lambda m: (m != baseline, m))
        for name in order:
            g = methods[name]
            mean = g.cells[metric].mean
            delta = ("-" if base_mean is None or mean is None or name == baseline
                     else f"{(mean - base_mean) * 100:+.1f}")
            if base_mean is not None and mean is not None and below(mean, base_mean):
                delta += " NEGATIVE TRANSFER"
            seeds = str(len(g.seeds)) + (f" ({g.failed} failed)" if g.failed else "")
            lines.append(f"| {name} | {seeds} | "
                         + " | ".join(g.cells[m].fmt() for m in cols) + f" | {delta} |"
                         + (f" {_published(reference, task, name)} |" if ref_col else ""))
        if reference is not None:
            for (t, name), (acc, _) in sorted(reference.items()):
                if t == task and name not in methods:
                    lines.append(f"| *{name}* (published only) | - | "
                                 + " | ".join("-" for _ in cols) + f" | - | {acc:.1f} |")
        lines.append("")
    lines += average_table(groups, reference, metric)
    lines.append(("Accuracy" if metric == "target_acc" else f"{HEADERS[metric].split(' (')[0]}"
                  " and accuracy") + " in %, mean ± sample std over seeds (the mean alone for one seed). The headline column selects the "
                 "checkpoint without target labels; the ORACLE column picks the best validation "
                 "on target labels and is not a fair result.")
    if reference is not None:
        sources = sorted({src for (t, _), (_, src) in reference.items() if t in groups})
        if sources:
            lines.append("Published numbers: " + "; ".join(sources) + ". Most of them report "
                         "the best epoch on target labels, so compare them with our ORACLE "
                         "column as an upper bound and with our headline as what an honest "
                         "protocol gives.")
    return "\n".join(lines)


def selection_tables(rows: list[dict[str, Any]]) -> str:
    """Per task x method: each validator's selected target accuracy vs the oracle.

    A validator's "selected" accuracy is the target accuracy at the validation step it
    scores best (``results.json["validators"]``); Spearman's rho is between its score and
    target accuracy over the validations of a run, averaged over runs.
    """
    groups: dict[tuple[str, str], dict[str, dict[str, list[float]]]] = defaultdict(dict)
    oracle: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        if r.get("status", "ok") != "ok" or not r.get("validators"):
            continue
        key = (str(r["task"]), str(r["method"]))
        if r.get("target_acc_oracle") is not None:
            oracle[key].append(float(r["target_acc_oracle"]))
        for name, v in r["validators"].items():
            cell = groups[key].setdefault(name, {"acc": [], "rho": []})
            cell["acc"].append(float(v["target_acc"]))
            if v.get("spearman") is not None:
                cell["rho"].append(float(v["spearman"]))
    if not groups:
        return ""
    lines = []
    for key in sorted(groups):
        lines += [f"### selection: {key[0]} / {key[1]}", "",
                  "| validator | selected target acc | gap to ORACLE | Spearman ρ (score vs target acc) |",
                  "|---|---|---|---|"]
        best = Cell(oracle[key]).mean
        for name, cell in sorted(groups[key].items(),
                                 key=lambda kv: -statistics.fmean(kv[1]["acc"])):
            acc = Cell(cell["acc"])
            gap = "-" if best is None else f"{(acc.mean - best) * 100:+.1f}"
            rho = f"{statistics.fmean(cell['rho']):+.2f}" if cell["rho"] else "-"
            lines.append(f"| {name} | {acc.fmt()} | {gap} | {rho} |")
        lines.append(f"| **ORACLE** (target labels) | {Cell(oracle[key]).fmt()} | 0.0 | - |")
        lines.append("")
    return "\n".join(lines)
