"""Save ``last.ckpt`` when the job is told to stop (SIGTERM), so ``resume=true`` continues it.

Lightning records SIGTERM and, after the current training batch, raises
``SIGTERMException``; this callback writes the checkpoint when that exception passes
through, so the saved step is the last completed one. Under ``launcher=slurm`` the
time-limit signal (``USR2``) takes the same path before submitit requeues the job
(``da/slurm.py``).
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.utilities.exceptions import SIGTERMException


class Preemption(L.Callback):
    def __init__(self, dirpath: str, filename: str = "last.ckpt") -> None:
        self.path = Path(dirpath) / filename

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule,
                     exception: BaseException) -> None:
        # A signal during a validation stops it half-way; a checkpoint of that state would
        # resume without it (another history, another selected step). Keep the last complete
        # validation's last.ckpt instead, as after SIGKILL.
        if isinstance(exception, SIGTERMException) and not trainer.validating:
            trainer.save_checkpoint(self.path)
