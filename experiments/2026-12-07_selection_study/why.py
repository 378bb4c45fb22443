"""Why a benchmark defeats label-free selection: per benchmark and method, how far target
accuracy moves between a run's validations against how far held-out source accuracy does,
and the trajectories of the default's worst cells.

Usage: .venv/bin/python experiments/2026-12-07_selection_study/why.py RUN_DIRS... > why.md
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict

from da.report.collect import collect_runs
from da.report.selection_study import CURRENT, benchmark, run_gaps, stat, study_rows
from da.selection.sweep import ORACLE_KEY

SOURCE = "val/source/acc"


def main(paths: list[str]) -> None:
    rows = study_rows(collect_runs(paths))
    spread: dict[tuple[str, str], list[tuple[float, float, int]]] = defaultdict(list)
    for r in rows:
        hist = [h for h in r["history"] if ORACLE_KEY in h and SOURCE in h]
        if len(hist) < 2:
            continue
        t = [100 * h[ORACLE_KEY] for h in hist]
        s = [100 * h[SOURCE] for h in hist]
        spread[benchmark(r["task"]), str(r["method"])].append(
            (max(t) - min(t), max(s) - min(s), len(hist)))
    print("### how much a run's validations differ (points, mean over runs)\n")
    print("| benchmark | method | runs | validations / run | target acc range | "
          "held-out source acc range |\n|---|---|---|---|---|---|")
    for (b, m), v in sorted(spread.items()):
        print(f"| {b} | {m} | {len(v)} | {statistics.fmean(x[2] for x in v):.0f} | "
              f"{statistics.fmean(x[0] for x in v):.1f} | {statistics.fmean(x[1] for x in v):.1f} |")
    gaps = run_gaps(rows)[CURRENT]
    cells = sorted(gaps, key=lambda k: -statistics.fmean(gaps[k]))[:6]
    print(f"\n### the {len(cells)} worst cells of `{CURRENT}`: each run's validations "
          "(step: held-out source acc / target acc; * = the pick)\n")
    for k in cells:
        print(f"- {k[1]} / {k[2]} (gap {statistics.fmean(gaps[k]):.1f}):")
        for r in rows:
            if (str(r["task"]), str(r["method"])) != (k[1], k[2]):
                continue
            pick = r["validators"][CURRENT]["best_step"] if "best_step" in r["validators"][
                CURRENT] else None
            traj = ", ".join(f"{h['step']}: {100 * h[SOURCE]:.0f} / {100 * h[ORACLE_KEY]:.0f}"
                             + ("*" if h["step"] == pick else "")
                             for h in r["history"] if ORACLE_KEY in h and SOURCE in h)
            print(f"  - seed {r['seed']}: {traj}")
    for b in sorted({k[0] for k in gaps}):
        s = stat(gaps, {b})
        print(f"\n{b}: `{CURRENT}` mean gap {s.mean:.2f}, worst {s.worst:.1f} "
              f"({s.cells} cells, {s.runs} runs)")


if __name__ == "__main__":
    main(sys.argv[1:])
