"""Experiment tracking helpers: W&B mode checks and clean shutdown."""

from __future__ import annotations

import netrc
import os
import sys

from da.errors import DAError


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
