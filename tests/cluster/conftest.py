"""A real one-node SLURM cluster (slurmctld, slurmd, slurmdbd accounting, munge) for the
tests of this folder, started by ``slurm_up.sh`` and stopped by ``slurm_down.sh``.

Where SLURM cannot be had (not root, no apt-get, no packages) every test here skips with the
reason ``slurm_up.sh`` gives; a cluster that was had but does not start is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli

HERE = Path(__file__).resolve().parent
# the small CPU profile, one torch thread per SLURM CPU, bit-reproducible runs
SLURM = ["launcher=slurm_cpu", "num_threads=1"]
FAST = ["debug=fast", "trainer.deterministic=true"]
UNSETTLED = ("PENDING", "RUNNING", "COMPLETING", "REQUEUED")
KEYS = ("target_acc", "target_acc_last", "target_acc_oracle", "source_acc", "steps")


@dataclass
class Cluster:
    state: Path
    env: dict[str, str]

    def run(self, *cmd: str) -> str:
        proc = subprocess.run(cmd, env={**os.environ, **self.env}, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(cmd)}: {proc.stderr}"
        return proc.stdout

    def sacct(self, job: str, fields: str, steps: bool = False) -> list[list[str]]:
        """sacct's rows for ``job`` (every attempt, oldest first), once the last one has ended:
        the accounting database hears of an end a moment after the launcher does."""
        cmd = ["sacct", "-n", "-P", "-D", "-j", job, "-o", f"JobID,State,{fields}",
               *([] if steps else ["-X"])]
        deadline = time.time() + 60
        while True:
            rows = [line.split("|") for line in self.run(*cmd).splitlines()]
            rows = [r for r in rows if r[0] == job]
            if rows and rows[-1][1] not in UNSETTLED or time.time() > deadline:
                return [r[1:] for r in rows]
            time.sleep(1)

    def attempts(self, job: str) -> list[str]:
        """The state of every attempt of one job (array task), oldest first."""
        return [r[0] for r in self.sacct(job, "Elapsed")]

    def sweep(self, args: list[str], timeout: int = 400) -> subprocess.CompletedProcess:
        return run_cli(["-m", *SLURM, *args], env=self.env, timeout=timeout)


@pytest.fixture(scope="package")
def slurm():
    # not pytest's tmp_path (nor a private TMPDIR): munged (user munge) must reach the folder,
    # and its socket's path must stay short
    state = Path(tempfile.mkdtemp(prefix="da-slurm-", dir="/tmp"))
    up = subprocess.run([str(HERE / "slurm_up.sh"), str(state)], capture_output=True, text=True,
                        timeout=900)
    if up.returncode != 0:
        shutil.rmtree(state, ignore_errors=True)
        reason = (up.stderr.strip().splitlines() or ["no output"])[0]
        if up.returncode == 3:
            pytest.skip(f"no SLURM cluster here: {reason}")
        pytest.fail(f"slurm_up.sh failed ({up.returncode}):\n{up.stderr[-4000:]}")
    try:
        yield Cluster(state, {"SLURM_CONF": str(state / "etc" / "slurm.conf")})
    finally:
        subprocess.run([str(HERE / "slurm_down.sh"), str(state)], timeout=120)
        shutil.rmtree(state, ignore_errors=True)


def results(root: Path) -> dict[str, dict]:
    """``results.json`` of every run below ``root``, by run directory name."""
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(root.rglob("results.json"))}


def job_ids(sweep_dir: Path) -> dict[str, str]:
    """submitit's SLURM job id of each sweep point by ``hydra.job.num``: ``<array>_<num>``, or
    a plain id when the sweep has one point."""
    ids = [p.name for p in (sweep_dir / ".submitit").iterdir()
           if p.is_dir() and re.fullmatch(r"\d+(_\d+)?", p.name)]
    arrays = [i for i in ids if "_" in i]
    if arrays:
        return {i.split("_")[1]: i for i in arrays}
    return {"0": ids[0]} if len(ids) == 1 else {}


@pytest.fixture(scope="package")
def reference_sweep(slurm, tmp_path_factory):
    """``source_only`` and ``dann`` through the scheduler: the uninterrupted run the pre-emption
    and DDP tests compare with, and the sweep test's subject."""
    root = tmp_path_factory.mktemp("sweep")
    proc = slurm.sweep([*FAST, f"paths.log_dir={root}", f"hydra.sweep.dir={root / 'sweep'}",
                        "method=source_only,dann"])
    return root, proc
