"""Pre-emption through the scheduler: SLURM interrupts a job, it saves its checkpoint, is
requeued, resumes, and ends with the uninterrupted run's numbers.

Two jobs of one sweep: ``requeue`` is requeued by SLURM itself at step 12 (``scontrol
requeue``: SIGTERM, as on pre-emption); ``timeout`` gets USR2 at step 7 and again at step 10
of its second attempt (what SLURM sends ``signal_delay_s`` before the time limit; a 5-minute
limit makes submitit count it as a time-out) with ``max_num_timeout=1``: requeued once, not
twice. Step 10 is a validation step: the signal stops that validation half-way, so no
checkpoint is taken there and the step-7 one stays. Re-submitting the sweep with
``resume=true`` skips the completed job and finishes the other from step 7.
"""

from __future__ import annotations

import csv

import pytest

from tests.cluster.conftest import FAST, KEYS, job_ids, results

pytestmark = pytest.mark.cluster

INTERRUPT = ["+callbacks.interrupt._target_=tests.cluster.interrupt.SlurmInterruptAt",
             "+callbacks.interrupt.how=requeue,timeout",
             "+callbacks.interrupt.steps={requeue:[12],timeout:[7,10]}"]


def _steps(path) -> list[int]:
    """The steps of the training-loss rows of one CSV metrics file."""
    with open(path) as f:
        return [int(r["step"]) for r in csv.DictReader(f) if r.get("train/loss")]


def _attempt_steps(run_dir) -> list[list[int]]:
    """Training-loss steps of each attempt's CSV: ``metrics.1.csv``, ..., ``metrics.csv``."""
    kept = sorted((run_dir / "csv").glob("metrics.*.csv"), key=lambda p: int(p.suffixes[0][1:]))
    return [_steps(p) for p in [*kept, run_dir / "csv" / "metrics.csv"]]


def test_requeued_and_timed_out_jobs_resume_to_the_uninterrupted_numbers(slurm, reference_sweep,
                                                                         tmp_path):
    ref_root, ref_proc = reference_sweep
    assert ref_proc.returncode == 0, ref_proc.stderr[-3000:]
    (ref_dir,) = [p.parent for p in ref_root.rglob("results.json") if "_dann_" in p.parent.name]
    reference = results(ref_dir)[ref_dir.name]
    sweep = tmp_path / "sweep"
    args = [*FAST, "method=dann", f"paths.log_dir={tmp_path}", f"hydra.sweep.dir={sweep}",
            "hydra.launcher.timeout_min=5", "hydra.launcher.max_num_timeout=1", *INTERRUPT]
    first = slurm.sweep(args)
    out = first.stdout + first.stderr
    # the second time-out is one too many: that job is not requeued and the sweep says why
    assert first.returncode != 0 and "timed-out too many times" in out, out[-3000:]
    ids = job_ids(sweep)
    requeue_dir, timeout_dir = sweep / "0_dann_clean2shifted_s0", sweep / "1_dann_clean2shifted_s0"

    # requeued by SLURM at step 12: checkpoint, requeue, resume, the uninterrupted numbers
    assert slurm.attempts(ids["0"]) == ["REQUEUED", "COMPLETED"]
    done = results(requeue_dir)[requeue_dir.name]
    assert done["status"] == "ok" and done["resumed_from_step"] == 12
    assert {k: done[k] for k in KEYS} == {k: reference[k] for k in KEYS}
    assert done["history"] == reference["history"]
    # nothing lost: the first attempt's metrics kept beside the resumed attempt's, and
    # together they are the uninterrupted run's
    full = _steps(ref_dir / "csv" / "metrics.csv")
    assert full == [4, 9, 14, 19]
    assert _attempt_steps(requeue_dir) == [[4, 9], [14, 19]]

    # timed out at step 7 (requeued) and at step 10 (max_num_timeout=1 spent: not requeued)
    assert slurm.attempts(ids["1"]) == ["REQUEUED", "COMPLETED"]
    stopped = results(timeout_dir)[timeout_dir.name]
    assert stopped["status"] == "preempted" and stopped["steps"] == 10
    assert (timeout_dir / "checkpoints" / "last.ckpt").is_file()
    before = (requeue_dir / "results.json").read_bytes()

    again = slurm.sweep([*args, "resume=true"])
    assert again.returncode == 0, again.stderr[-3000:]
    logs = "".join(p.read_text() for p in (sweep / ".submitit").rglob("*_log.*"))
    assert logs.count("skipping: the same config already completed") == 1  # jobs log there
    assert (requeue_dir / "results.json").read_bytes() == before  # the finished run untouched
    resumed = results(timeout_dir)[timeout_dir.name]
    # from step 7: the half-done validation at step 10 was not checkpointed
    assert resumed["status"] == "ok" and resumed["resumed_from_step"] == 7
    assert {k: resumed[k] for k in KEYS} == {k: reference[k] for k in KEYS}
    assert resumed["history"] == reference["history"]
    assert _attempt_steps(timeout_dir) == [[4], [9], [9, 14, 19]]


@pytest.mark.slow
def test_a_job_signalled_by_its_time_limit_resumes_to_the_uninterrupted_numbers(
        slurm, reference_sweep, tmp_path):
    """No signal from the test: SLURM's own USR2, ``signal_delay_s`` before a 3-minute limit,
    reaches the job waiting at step 12; submitit counts a time-out and requeues it.

    SLURM may send it up to a minute early; 60 s before a 3-minute limit keeps it clear of the
    job's start (a USR2 before submitit has set its handlers kills the job unrequeued)."""
    ref_root, _ = reference_sweep
    (ref_dir,) = [p.parent for p in ref_root.rglob("results.json") if "_dann_" in p.parent.name]
    reference = results(ref_dir)[ref_dir.name]
    sweep = tmp_path / "sweep"
    proc = slurm.sweep([*FAST, "method=dann", f"paths.log_dir={tmp_path}",
                        f"hydra.sweep.dir={sweep}", "hydra.launcher.timeout_min=3",
                        "hydra.launcher.signal_delay_s=60", "+callbacks.interrupt.wait_s=200",
                        "+callbacks.interrupt._target_=tests.cluster.interrupt.SlurmInterruptAt",
                        "+callbacks.interrupt.how=limit", "+callbacks.interrupt.steps={limit:[12]}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    logs = "".join(p.read_text() for p in (sweep / ".submitit").rglob("*_log.*"))
    assert "Caught signal SIGUSR2" in logs and "this job is timed-out" in logs
    assert "Requeued job" in logs and "(2 remaining timeouts)" in logs
    (job,) = job_ids(sweep).values()
    attempts = slurm.attempts(job)
    assert attempts[0] == "REQUEUED" and attempts[-1] == "COMPLETED", attempts
    run_dir = sweep / "0_dann_clean2shifted_s0"
    done = results(run_dir)[run_dir.name]
    assert done["status"] == "ok" and done["resumed_from_step"] == 12
    assert {k: done[k] for k in KEYS} == {k: reference[k] for k in KEYS}
    assert done["history"] == reference["history"]
