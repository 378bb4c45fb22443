"""Pre-emption and requeue of a ``launcher=slurm`` job (submitit) that loses no step, and
resumed runs that keep the first attempt's CSV metrics.

submitit has SLURM send ``USR2`` ``hydra.launcher.signal_delay_s`` before a job's time limit
(a pre-empting scheduler, or ``scancel --signal=USR2``, sends the same). submitit's own handler
requeues the job and exits at once, in the middle of a training step, so the new attempt would
start over. Here ``USR2`` first takes the SIGTERM path (Lightning stops after the current step,
``Preemption`` saves ``checkpoints/last.ckpt``, ``results.json`` says ``preempted``); then
:func:`requeue_if_signalled` hands the signal to submitit, which requeues the job unless it has
timed out more than ``max_num_timeout`` times. A job that SLURM requeues itself (pre-emption,
``scontrol requeue``) gets SIGTERM: it saves the same way, then exits without a result so that
submitit waits for the new attempt. Every new attempt (a failed node's too) resumes from
``last.ckpt``: see :func:`restarted_with_checkpoint`.
"""

from __future__ import annotations

import logging
import os
import signal
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("da.slurm")

_pending: list = []  # [signum, submitit's handler] once the requeue signal has come


@contextmanager
def stop_on_requeue_signal():
    """While training, in a submitit SLURM job: ``USR2`` stops training gracefully before
    submitit acts. Afterwards (testing, writing results) it is only logged: finishing beats
    requeueing a run whose training is done."""
    submitit_handler = signal.getsignal(signal.SIGUSR2)
    if os.environ.get("SUBMITIT_EXECUTOR") != "slurm" or not callable(submitit_handler):
        yield
        return

    def stop_then_requeue(signum, frame) -> None:
        _pending[:] = [signum, submitit_handler]
        os.kill(os.getpid(), signal.SIGTERM)  # Lightning: stop after this step, save last.ckpt

    def finish(signum, frame) -> None:
        log.warning("SLURM's time-limit signal came after training: finishing, not requeueing")

    signal.signal(signal.SIGUSR2, stop_then_requeue)
    try:
        yield
    finally:
        signal.signal(signal.SIGUSR2, finish)


def requeue_if_signalled() -> None:
    """After ``last.ckpt`` and ``results.json`` are saved, in a submitit SLURM job.

    ``USR2``: submitit requeues the job and exits, or, past ``max_num_timeout``, raises
    ``UncompletedJobError`` (the job fails; resume it by hand). SIGTERM (SLURM requeues a
    pre-empted job itself, or the job was cancelled): exit without a result, so that the
    launcher waits for the requeued attempt rather than taking this one's as final.
    """
    if os.environ.get("SUBMITIT_EXECUTOR") != "slurm":
        return
    if _pending:
        signum, handler = _pending
        _pending.clear()
        handler(signum, None)
    raise SystemExit(128 + signal.SIGTERM)


def restarted_with_checkpoint(out_dir: Path) -> Path | None:
    """``last.ckpt`` of a job SLURM has started again (requeued), else ``None``."""
    last = Path(out_dir) / "checkpoints" / "last.ckpt"
    restarts = int(os.environ.get("SLURM_RESTART_COUNT") or 0)
    return last if restarts > 0 and last.is_file() else None


def keep_previous_metrics(out_dir: Path) -> list[Path]:
    """Before a resumed attempt: move each ``<logger>/metrics.csv`` (Lightning's CSVLogger
    deletes it when it starts in a non-empty folder) to ``metrics.<k>.csv``, k = 1, 2, ..."""
    kept = []
    for csv in sorted(Path(out_dir).glob("*/metrics.csv")):
        k = 1
        while (target := csv.with_name(f"metrics.{k}.csv")).exists():
            k += 1
        kept.append(csv.rename(target))
    return kept
