"""Test helper: a job that has SLURM interrupt itself at given steps, then waits for the signal."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import lightning as L


class SlurmInterruptAt(L.Callback):
    """At ``steps[how][k]`` of the job's attempt ``k`` (``SLURM_RESTART_COUNT``), ask SLURM to
    interrupt this job and wait until the signal has reached training.

    ``how=requeue``: ``scontrol requeue`` (SLURM sends SIGTERM and requeues the job itself, as
    an administrator or a pre-empting job does); ``how=timeout``: ``scancel --signal=USR2``,
    the signal SLURM sends ``signal_delay_s`` before the time limit (submitit requeues);
    ``how=limit``: nothing, the job waits for SLURM's own signal before its time limit.
    Waiting makes the interrupted step exact, whatever the scheduler's latency.
    """

    def __init__(self, how: str, steps: dict[str, list[int]], wait_s: float = 120.0) -> None:
        if how not in ("requeue", "timeout", "limit"):
            raise ValueError(f"how={how!r}: use requeue, timeout or limit")
        self.how, self.steps, self.wait_s = how, list(steps[how]), wait_s

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        attempt = int(os.environ.get("SLURM_RESTART_COUNT") or 0)
        if attempt >= len(self.steps) or trainer.global_step != self.steps[attempt]:
            return
        array = os.environ.get("SLURM_ARRAY_JOB_ID")  # submitit submits sweeps as job arrays
        job = (f"{array}_{os.environ['SLURM_ARRAY_TASK_ID']}" if array
               else os.environ["SLURM_JOB_ID"])
        cmd = {"requeue": ["scontrol", "requeue", job], "timeout": ["scancel", "--signal=USR2", job],
               "limit": []}[self.how]
        if trainer.is_global_zero and cmd:  # scancel, a child of this job step, gets USR2 too
            proc = subprocess.run(cmd, timeout=60, capture_output=True, text=True)
            if proc.returncode not in (0, -signal.SIGUSR2):
                raise RuntimeError(f"{' '.join(cmd)}: {proc.returncode} {proc.stderr.strip()}")
        deadline = time.time() + self.wait_s
        while not trainer.received_sigterm:
            if time.time() > deadline:
                raise RuntimeError(f"no signal {self.wait_s:.0f} s after {' '.join(cmd) or 'waiting'}")
            time.sleep(0.05)
