"""``da-report RUN_OR_SWEEP_DIR [...]``: compare runs in tables, plots and one HTML page.

Writes into ``--out`` (default: the first path): ``results.csv`` (one row per run),
``results.md``, ``results.tex``, ``figures/*.png`` and ``report.html`` (self-contained);
prints the Markdown tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from da.errors import DAError
from da.report import figures
from da.report.collect import (
    collect_runs,
    collect_wandb,
    drop_superseded,
    load_previous,
    merge_previous,
    write_csv,
)
from da.report.html import html_page, latex_table
from da.report.selection_study import across_methods_table, study_table, write_study_csv
from da.report.tables import (
    TARGET_METRICS,
    load_reference,
    markdown_tables,
    negative_transfer,
    selection_tables,
    summarise,
)
from da.selection import sweep
from da.selection.sweep import SWEEP_SELECTORS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="da-report", description=__doc__)
    p.add_argument("paths", nargs="*", help="run or sweep directories (searched recursively)")
    p.add_argument("--wandb", metavar="ENTITY/PROJECT",
                   help="also read the runs of this W&B project (online, needs a key)")
    p.add_argument("--out", help="folder for results.csv and results.md (default: first path)")
    p.add_argument("--baseline", default="source_only", help="method the Δ column compares to")
    p.add_argument("--reference", nargs="?", const="default", default=None, metavar="CSV",
                   help="add a 'published' column: the shipped table of published results "
                        "(no value) or your own CSV with columns task,method,acc,source")
    p.add_argument("--methods", metavar="A,B,...",
                   help="only these methods (comma-separated), e.g. the ones a study compares")
    p.add_argument("--no-html", action="store_true", help="skip the figures and report.html")
    p.add_argument("--metric", default="target_acc", choices=TARGET_METRICS,
                   help="the tables' headline metric of the label-free selected model on the "
                        "target test split (default target_acc; the accuracies stay beside "
                        "any other)")
    p.add_argument("--selection", action="store_true",
                   help="add per-validator tables: selected target accuracy vs the oracle")
    p.add_argument("--selection-study", action="store_true",
                   help="per validator and benchmark (the task's dataset): the mean and the "
                        "worst gap to the oracle, the leave-one-benchmark-out rule for the "
                        "default selection and its decision (writes selection_study.csv)")
    p.add_argument("--select-by", metavar="VALIDATOR", choices=SWEEP_SELECTORS,
                   help="sweep-level selection: per task and seed, the configuration (and "
                        "checkpoint) with the best label-free score of VALIDATOR ("
                        + ", ".join(SWEEP_SELECTORS) + "), beside the oracle")
    p.add_argument("--across-methods", action="store_true",
                   help="with --select-by: the methods compete too (default: per method)")
    p.add_argument("--previous", metavar="CSV", action="append",
                   help="keep the completed rows of a results.csv written earlier (e.g. the "
                        "study's own, when its run folders are gone) for every task/method/seed "
                        "that no run under PATHS has; a rerun of one is compared to it; "
                        "repeat it to merge the tables of several studies")
    return p


def _platform_note(before: str | None, now: str | None) -> str:
    """Why a rerun may differ: the same config on another CPU rounds differently."""
    if before and now and before != now:
        return f"; platform differs: {before} before, {now} now"
    if before != now:
        return "; platform not recorded for one of them"
    return ""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if not args.paths and not args.wandb:
            raise DAError("give run or sweep directories, or --wandb ENTITY/PROJECT")
        rows = collect_runs(args.paths, keep_superseded=True)
        if args.wandb:
            rows += collect_wandb(args.wandb)
        if args.methods:
            keep = {m.strip() for m in args.methods.split(",") if m.strip()}
            found = {r.get("method") for r in rows}
            rows = [r for r in rows if r.get("method") in keep]
            if not rows:
                raise DAError(f"no runs of --methods {args.methods}; the runs found are of "
                              f"{', '.join(sorted(map(str, found)))}")
        n_found = len(rows)  # the count printed at the end is of the methods shown
        rows = drop_superseded(rows)
        superseded = n_found - len(rows)
        reruns = []
        if args.previous:
            previous = [r for path in args.previous for r in load_previous(path)]
            if args.methods:
                previous = [r for r in previous if r["method"] in keep]
            rows, reruns = merge_previous(rows, previous)
        if not rows:
            raise DAError(f"no results.json found under {', '.join(args.paths)}; point "
                          "da-report at run or sweep directories")
        if not args.out and not args.paths:
            raise DAError("with only --wandb, say where to write with --out DIR")
        out = Path(args.out or args.paths[0])
        if out.is_file():
            out = out.parent
        groups = summarise(rows)
        reference = None
        if args.reference:
            reference = load_reference(None if args.reference == "default" else args.reference)
        text = markdown_tables(groups, baseline=args.baseline, reference=reference,
                               metric=args.metric)
        if args.selection:
            text += "\n\n" + selection_tables(rows)
        if args.selection_study:
            study, study_csv = study_table(rows)
            text += "\n\n" + study + "\n\n" + across_methods_table(rows)
            out.mkdir(parents=True, exist_ok=True)
            write_study_csv(study_csv, out / "selection_study.csv")
        if args.select_by:
            picks = sweep.select(rows, args.select_by, args.across_methods)
            text += "\n\n" + sweep.sweep_table(picks, args.select_by)
        write_csv(rows, out / "results.csv")
        (out / "results.md").write_text(text + "\n")
        (out / "results.tex").write_text(latex_table(groups, reference) + "\n")
        if not args.no_html:
            fig_dir = out / "figures"
            fig_dir.mkdir(parents=True, exist_ok=True)
            ok = [r for r in rows if r.get("status", "ok") == "ok"]
            figs = [figures.accuracy_bars(groups, fig_dir / "accuracy.png"),
                    figures.learning_curves(ok, fig_dir / "learning_curves.png"),
                    figures.validator_scatter(ok, fig_dir / "validators_vs_oracle.png"),
                    figures.discriminator_curves(ok, fig_dir / "discriminator.png")]
            figs = [f for f in figs if f is not None]
            page = html_page(groups, rows, figs,
                             negative_transfer(groups, args.baseline, args.metric), reference,
                             args.metric)
            (out / "report.html").write_text(page)
    except DAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(text)
    carried = sum(bool(r.get("carried_from")) for r in rows)
    if args.previous:
        print(f"\nkept {carried} completed run(s) from {', '.join(args.previous)} (no curves or "
              "validator scores for those)")
    for old, new in reruns:
        print(f"rerun of {old['task']} / {old['method']} / seed {old['seed']}: target acc "
              f"{100 * old['target_acc']:.2f} before, {100 * new['target_acc']:.2f} now "
              f"(diff {100 * (new['target_acc'] - old['target_acc']):+.2f})"
              + _platform_note(old.get("platform"), new.get("platform")))
    failed = sum(r.get("status", "ok") != "ok" for r in rows)
    print(f"\n{len(rows)} runs ({failed} failed"
          + (f"; left out {superseded} failed or stopped run(s) whose config completed "
             "in a later run" if superseded else "")
          + "); wrote results.csv, results.md, results.tex"
          + ("" if args.no_html else ", figures/ and report.html") + f" in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
