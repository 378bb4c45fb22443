"""DDP as two SLURM tasks: srun starts both processes, Lightning takes ranks and the world
from SLURM's environment (no process of its own), gloo joins them; the run matches the
one-process run as the local DDP test requires, and W&B gets exactly one run for the job."""

from __future__ import annotations

import pytest

from tests.cluster.conftest import FAST, job_ids, results
from tests.wandb_reader import read_run

pytestmark = pytest.mark.cluster

DDP = [*FAST, "trainer=ddp_cpu", "method=dann", "num_threads=1", "study=cluster"]


def test_two_slurm_tasks_match_one_process_and_log_one_wandb_run(slurm, reference_sweep,
                                                                    tmp_path):
    sweep = tmp_path / "sweep"
    proc = slurm.sweep([*DDP, "hydra.launcher.tasks_per_node=2", "logger=default",
                        f"paths.log_dir={tmp_path}", f"hydra.sweep.dir={sweep}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    (job,) = job_ids(sweep).values()
    # one job of two tasks on two CPUs; each task's log says which rank Lightning gave it
    assert slurm.sacct(f"{job}.0", "NTasks,AllocCPUS", steps=True) == [["COMPLETED", "2", "2"]]
    for rank in (0, 1):
        log = next((sweep / ".submitit" / job).glob(f"{job}_{rank}_log.err")).read_text()
        assert f"GLOBAL_RANK: {rank}, MEMBER: {rank + 1}/2" in log, log[-2000:]
    (run_dir,) = (p.parent for p in sweep.rglob("results.json"))
    result = results(sweep)[run_dir.name]
    assert result["status"] == "ok" and result["world_size"] == 2 and result["steps"] == 20

    # the same global batches as the one-process run, and close to it (as tests/test_cli.py
    # requires of trainer=ddp_cpu; BatchNorm statistics and batch losses are per process)
    one = next(r for r in results(reference_sweep[0]).values() if r["method"] == "dann")
    assert one["world_size"] == 1
    assert [h["step"] for h in one["history"]] == [h["step"] for h in result["history"]]
    assert abs(one["source_acc"] - result["source_acc"]) < 0.03
    assert abs(one["history"][-1]["val/source/acc"] - result["history"][-1]["val/source/acc"]) < 0.03

    # W&B: exactly one run for the job (rank 0 logs), with its grouping fields and summary
    runs = list(sweep.rglob("offline-run-*"))
    assert len(runs) == 1, runs
    (run_file,) = runs[0].glob("run-*.wandb")
    wb = read_run(run_file)
    info = wb["run"]
    assert info.run_group == "skdigits:clean->shifted" and info.job_type == "dann"
    assert info.display_name == "dann|skdigits:clean->shifted|s0"
    assert {"method:dann", "study:cluster", "seed:0"} <= set(info.tags)
    assert (wb["config"]["method"], wb["config"]["study"]) == ("dann", "cluster")
    assert wb["summary"]["target_acc"] == pytest.approx(result["target_acc"])
    assert {"target_acc_oracle", "source_acc", "selected_by/snd"} <= set(wb["summary"])
