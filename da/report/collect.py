"""Find every ``results.json`` under run or sweep directories and flatten it to a row."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from da.errors import DAError
from da.results import RESULTS_FILE, config_hash, platform_label

ROW_FIELDS = ("task", "method", "seed", "status", "target_acc", "target_acc_oracle",
              "target_acc_last", "source_acc", "target_f1", "target_precision",
              "target_recall", "target_auroc", "selection", "steps", "wall_time_s", "run_dir",
              "error", "platform")


def collect_runs(paths: list[str | Path], keep_superseded: bool = False) -> list[dict[str, Any]]:
    """One row per ``results.json`` found (recursively) under ``paths``; failed or stopped
    runs that a completed run of the same config superseded are left out unless
    ``keep_superseded``."""
    rows = []
    for root in map(Path, paths):
        if not root.exists():
            raise DAError(f"{root} does not exist; pass run or sweep directories that contain "
                          f"{RESULTS_FILE} files")
        files = [root] if root.is_file() else sorted(root.rglob(RESULTS_FILE))
        for f in files:
            try:
                r = json.loads(f.read_text())
            except json.JSONDecodeError as e:
                raise DAError(f"{f} is not valid JSON ({e}); delete it or re-run that job") from e
            rows.append(_row(r, f.parent))
    # a sweep re-run copies completed results ("reused_from"); count each run once
    dirs = {row["run_dir"] for row in rows}
    rows = [row for row in rows
            if row.get("reused_from") not in dirs or row["reused_from"] == row["run_dir"]]
    return rows if keep_superseded else drop_superseded(rows)


def drop_superseded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Leave out failed or stopped runs whose config later completed (in another folder).

    A run is the same config when its ``config_hash`` is: recorded in ``results.json``, or
    (for records that lack it) recomputed from the ``.hydra/config.yaml`` beside it.
    """
    done = {row["config_hash"] for row in rows if row["status"] == "ok" and row["config_hash"]}
    return [row for row in rows if row["status"] == "ok" or row["config_hash"] not in done]


NUMERIC = ("target_acc", "target_acc_oracle", "target_acc_last", "source_acc", "target_f1",
           "target_precision", "target_recall", "target_auroc", "wall_time_s")


def load_previous(path: str | Path) -> list[dict[str, Any]]:
    """The completed rows of a ``results.csv`` that ``da-report`` wrote earlier, so that a
    study whose run folders are gone (a new machine) keeps the runs it already logged.

    Carried rows have no curves or validator scores: only the tables use them.
    """
    path = Path(path)
    if not path.is_file():
        raise DAError(f"--previous {path} does not exist; give a results.csv written by "
                      "da-report")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"task", "method", "seed", "status", "target_acc"} - set(reader.fieldnames or ())
        if missing:
            raise DAError(f"--previous {path} lacks the column(s) {', '.join(sorted(missing))}; "
                          "give a results.csv written by da-report")
        rows = []
        for i, rec in enumerate(reader, start=2):
            if rec.get("status", "ok") != "ok":
                continue
            row: dict[str, Any] = {k: (rec.get(k) or None) for k in ROW_FIELDS}
            try:
                row["seed"] = int(rec["seed"]) if rec.get("seed") not in (None, "") else None
                row["steps"] = int(float(rec["steps"])) if rec.get("steps") else None
                for k in NUMERIC:
                    row[k] = float(rec[k]) if rec.get(k) not in (None, "") else None
            except ValueError as e:
                raise DAError(f"--previous {path}, line {i}: {e}; give a results.csv written "
                              "by da-report") from e
            row.update(status="ok", validators={}, history=[], reused_from=None,
                       config_hash=None, carried_from=str(path))
            rows.append(row)
    return rows


def merge_previous(rows: list[dict[str, Any]], previous: list[dict[str, Any]]
                   ) -> tuple[list[dict[str, Any]], list[tuple[dict, dict]]]:
    """``rows`` plus the ``previous`` rows whose (task, method, seed) no logged run has
    (a key that several previous tables hold is taken from the first).

    Returns the merged rows and the pairs (previous, rerun) of keys found in both, so the
    caller can show how closely a rerun reproduced the earlier number.
    """
    def key(r):
        return (str(r["task"]), str(r["method"]), r["seed"])

    logged = {key(r): r for r in rows if r.get("status", "ok") == "ok"}
    first: dict[tuple, dict[str, Any]] = {}
    for p in previous:  # several tables may hold the same run: the first one listed counts
        first.setdefault(key(p), p)
    previous = list(first.values())
    carried = [p for p in previous if key(p) not in logged]
    # the same run folder in both is the same run, not a rerun
    reruns = [(p, logged[key(p)]) for p in previous
              if key(p) in logged and p.get("run_dir") != logged[key(p)].get("run_dir")]
    return rows + carried, reruns


def _row(r: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    sel = r.get("selection") or {}
    row = {k: r.get(k) for k in ROW_FIELDS}
    row["selection"] = sel.get("name") if isinstance(sel, dict) else sel
    row["status"] = r.get("status", "ok")
    row["platform"] = platform_label(r.get("platform"))
    row["run_dir"] = str(run_dir)
    row["validators"] = r.get("validators") or {}
    row["history"] = r.get("history") or []
    row["config"] = r.get("config") or {}  # names the configurations of a sweep (--select-by)
    row["reused_from"] = r.get("reused_from")
    row["config_hash"] = r.get("config_hash") or _hash_of_saved_config(run_dir)
    return row


def _hash_of_saved_config(run_dir: Path) -> str | None:
    """The config hash of the run in ``run_dir`` from Hydra's saved (unresolved) config."""
    path = run_dir / ".hydra" / "config.yaml"
    if not path.is_file():
        return None
    from omegaconf import OmegaConf

    try:
        return config_hash(OmegaConf.load(path))
    except Exception:  # noqa: BLE001 - an unreadable config only means "not matched"
        return None


def write_csv(rows: list[dict[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=ROW_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in sorted(rows, key=lambda r: (str(r["task"]), str(r["method"]), r["seed"] or 0)):
            w.writerow(row)
    return path


def collect_wandb(path: str, api=None) -> list[dict[str, Any]]:
    """One row per run of the W&B project ``entity/project`` (needs a key; online).

    Reads the fields each run logs (config ``task``/``method``/``seed``, summary
    ``target_acc``...); crashed or failed runs become rows with status ``failed``.
    """
    if api is None:
        import wandb

        api = wandb.Api()
    rows = []
    for run in api.runs(path):
        cfg, summary = dict(run.config), dict(run.summary)
        r = {"task": cfg.get("task"), "method": cfg.get("method"), "seed": cfg.get("seed"),
             "selection": cfg.get("selection"),
             "status": "ok" if run.state == "finished" and "target_acc" in summary else "failed",
             "error": None if run.state == "finished" else f"W&B run state: {run.state}"}
        r.update({k: summary.get(k) for k in NUMERIC if k != "wall_time_s"})
        r["run_dir"] = getattr(run, "url", run.id)
        r["validators"], r["history"], r["reused_from"], r["config_hash"] = {}, [], None, None
        rows.append(r)
    return rows
