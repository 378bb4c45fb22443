"""A sweep through SLURM: one job per point, each writes results.json, da-report tables them,
the scheduler's accounting answers the launcher's polling."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cluster.conftest import job_ids, results

pytestmark = pytest.mark.cluster


def test_sweep_submits_one_job_per_point_and_da_report_tables_them(slurm, reference_sweep):
    root, proc = reference_sweep
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "Submitit 'slurm' sweep" in out
    # accounting is on: submitit's job-state polling got answers, not warnings
    assert "Bypassing sacct error" not in out and "accounting storage is disabled" not in out
    runs = results(root)
    assert sorted(r["method"] for r in runs.values()) == ["dann", "source_only"]
    assert all(r["status"] == "ok" and r["steps"] == 20 for r in runs.values())
    # one SLURM job per point, each run once and completed, as the scheduler recorded it
    ids = job_ids(root / "sweep")
    assert sorted(ids) == ["0", "1"]
    for job in ids.values():
        assert slurm.attempts(job) == ["COMPLETED"], job
    report = subprocess.run([sys.executable, "-m", "da.report.cli", str(root / "sweep")],
                            capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr[-3000:]
    rows = [ln for ln in report.stdout.splitlines() if ln.startswith("| ")]
    assert any("| dann |" in ln for ln in rows) and any("| source_only |" in ln for ln in rows)
    assert (root / "sweep" / "results.csv").is_file()
