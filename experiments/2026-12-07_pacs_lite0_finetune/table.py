"""The fine-tuning study's comparison table, from the per-variant tables da-report wrote.

Reads ``<study>/<variant>/results.csv`` (``da-report LOG/<variant> --out <study>/<variant>``)
and, for the frozen 224 px rows, the frozen study's ``results.csv`` (seed 0, the 4 multi-source
tasks), and prints one markdown table: per variant and method, the target accuracy of each task
(label-free selection) and the 4-task mean, label-free and ORACLE.

    .venv/bin/python experiments/2026-12-07_pacs_lite0_finetune/table.py > experiments/2026-12-07_pacs_lite0_finetune/table.md
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
FROZEN = HERE.parent / "2026-12-07_pacs_lite0_frozen" / "results.csv"
VARIANTS = [("frozen, 224 px", FROZEN), ("frozen, 128 px", HERE / "frozen128" / "results.csv"),
            ("partial: last stage, 224 px", HERE / "partial1" / "results.csv"),
            ("partial: last 2 stages, 224 px", HERE / "partial2" / "results.csv"),
            ("full, 128 px, 300 steps", HERE / "full" / "results.csv"),
            ("full, BatchNorm statistics frozen, 128 px, 300 steps",
             HERE / "full_bnfrozen" / "results.csv"),
            ("full, 128 px, 300 steps, random-resized crops (first design)",
             HERE / "full_augment" / "results.csv")]
TARGETS = ["art_painting", "cartoon", "photo", "sketch"]


def rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["status"] == "ok" and r["seed"] == "0"
                and "+" in r["task"] and r["method"] in ("source_only", "mcc")]


def main() -> None:
    head = "| variant | method | " + " | ".join(f"→ {t}" for t in TARGETS)
    print(head + " | 4-task mean (label-free) | 4-task mean (ORACLE) | wall s / run (median) |")
    print("|---" * (len(TARGETS) + 5) + "|")
    for name, path in VARIANTS:
        found = rows(path)
        for method in ("source_only", "mcc"):
            by_target = {r["task"].rsplit("->", 1)[1]: r for r in found if r["method"] == method}
            if not by_target:
                continue
            accs = [100 * float(by_target[t]["target_acc"]) if t in by_target else None
                    for t in TARGETS]
            cells = " | ".join("-" if a is None else f"{a:.1f}" for a in accs)
            done = [by_target[t] for t in TARGETS if t in by_target]
            mean = sum(100 * float(r["target_acc"]) for r in done) / len(done)
            oracle = sum(100 * float(r["target_acc_oracle"]) for r in done) / len(done)
            walls = sorted(float(r["wall_time_s"]) for r in done)
            tag = "" if len(done) == len(TARGETS) else f" ({len(done)} tasks)"
            print(f"| {name} | {method} | {cells} | {mean:.1f}{tag} | {oracle:.1f} | "
                  f"{walls[len(walls) // 2]:.0f} |")


if __name__ == "__main__":
    main()
