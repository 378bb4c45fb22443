"""Collect TLlib reference runs (run.sh log folders) into results.csv and results.md.

Reads, for each folder under LOG_ROOT holding a TLlib ``train-*.txt``, the per-epoch target
test accuracies (`` * Acc@1`` lines: one per evaluation, the last one re-evaluates best.pth)
and the wall time run.sh appended to ``run_info.txt``. Nothing is typed by hand.

    .venv/bin/python experiments/2026-12-02_tllib_mnist_usps/tllib_reference/collect.py \
        logs/tllib_reference experiments/2026-12-02_tllib_mnist_usps/tllib_reference
"""

from __future__ import annotations

import csv
import re
import statistics
import sys
from pathlib import Path

ACC = re.compile(r"^ \* Acc@1 ([0-9.]+)")
ARG = re.compile(r"--(seed|epochs|lr) (\S+)")
WALL = re.compile(r"^wall: ([0-9.]+) s for (\d+) iterations")


def parse(folder: Path) -> dict | None:
    logs = sorted(folder.glob("train-*.txt"))
    info = folder / "run_info.txt"
    if not logs or not info.exists():
        return None
    text = info.read_text()
    wall = next(filter(None, map(WALL.match, text.splitlines())), None)
    if wall is None:  # unfinished (no wall line yet)
        return None
    args = dict(ARG.findall(text))
    method = re.search(r"launch\.py (\w+)\.py", text).group(1)
    task = re.search(r"-s (\S+) -t (\S+)", text)
    accs = [float(m.group(1)) for line in logs[-1].read_text().splitlines()
            if (m := ACC.match(line))]
    epochs = int(args["epochs"])
    per_epoch = accs[:epochs]
    return {"method": method, "task": f"{task.group(1)}->{task.group(2)}",
            "seed": int(args["seed"]), "iterations": int(wall.group(2)),
            "acc_per_evaluation": " ".join(f"{a:.3f}" for a in per_epoch),
            "best_acc": max(per_epoch), "last_acc": per_epoch[-1],
            "wall_time_s": float(wall.group(1)), "folder": folder.name}


def main(root: str, out: str) -> None:
    rows = sorted(filter(None, (parse(f) for f in Path(root).iterdir() if f.is_dir())),
                  key=lambda r: (r["task"], r["method"], r["iterations"], r["seed"]))
    if not rows:
        sys.exit(f"no finished TLlib run under {root}: run run.sh first (README.md)")
    Path(out).mkdir(parents=True, exist_ok=True)
    with open(Path(out) / "results.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| task | method | iterations | seed | target acc per evaluation | best (oracle) "
             "| last | wall s |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['task']} | {r['method']} | {r['iterations']} | {r['seed']} | "
              f"{r['acc_per_evaluation']} | {r['best_acc']:.1f} | {r['last_acc']:.1f} | "
              f"{r['wall_time_s']:.0f} |" for r in rows]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["task"], r["method"], r["iterations"]), []).append(r)
    lines += ["", "| task | method | iterations | seeds | best (oracle), mean ± std | last |",
              "|---|---|---|---|---|---|"]
    for (task, method, its), rs in groups.items():
        best = [r["best_acc"] for r in rs]
        last = [r["last_acc"] for r in rs]
        sd = statistics.stdev(best) if len(best) > 1 else 0.0
        lines.append(f"| {task} | {method} | {its} | {','.join(str(r['seed']) for r in rs)} | "
                     f"{statistics.mean(best):.1f} ± {sd:.1f} | {statistics.mean(last):.1f} |")
    (Path(out) / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: collect.py LOG_ROOT OUT_DIR")
    main(sys.argv[1], sys.argv[2])
