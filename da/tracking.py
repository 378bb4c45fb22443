"""Experiment tracking helpers: W&B mode checks, a run's summary fields, clean shutdown."""

from __future__ import annotations

import netrc
import os
import sys
from pathlib import Path

from da.errors import DAError
from da.metrics import PER_CLASS as TARGET_PER_CLASS
from da.metrics import SCALARS as TARGET_SCALARS


def has_wandb_key() -> bool:
    """True when W&B can authenticate: ``WANDB_API_KEY`` or a netrc entry from ``wandb login``."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai").split("//")[-1]
    try:
        return netrc.netrc().authenticators(host) is not None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def check_wandb_mode(mode: str) -> None:
    """Fail at start, not after an hour, when online logging cannot authenticate."""
    valid = ("offline", "online", "disabled")
    if mode not in valid:
        raise DAError(f"logger.wandb.mode={mode!r} is not one of {', '.join(valid)}")
    if mode == "online" and not has_wandb_key():
        raise DAError("logger.wandb.mode=online needs a W&B API key: run `wandb login` or set "
                      "WANDB_API_KEY, or keep the default logger.wandb.mode=offline and "
                      "`wandb sync` later")


def finish_wandb() -> None:
    """End the active W&B run, if any, so the next multirun job starts its own."""
    wandb = sys.modules.get("wandb")
    if wandb is not None and getattr(wandb, "run", None) is not None:
        wandb.finish()


def wandb_summary(lg, results: dict, out_dir: Path) -> None:
    """Selected and oracle accuracies as summary fields; confusion matrix and t-SNE as media."""
    lg.experiment.summary.update({k: v for k, v in results.items()
                                  if k.startswith(("target_acc", "source_acc"))
                                  or k in TARGET_SCALARS or k in TARGET_PER_CLASS})
    lg.experiment.summary.update({f"selected_by/{k}": v["target_acc"]
                                  for k, v in results["validators"].items()})
    k = len(results["target_confusion"])
    lg.log_table(key="target_confusion", columns=["true", *[f"pred_{j}" for j in range(k)]],
                 data=[[i, *row] for i, row in enumerate(results["target_confusion"])])
    if (out_dir / "tsne.png").is_file():
        lg.log_image(key="diag/tsne", images=[str(out_dir / "tsne.png")])
