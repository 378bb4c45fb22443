"""Config checks that need no data, run before anything is built: a typo fails in seconds,
in one line (exit code 2), rather than after loading data."""

from __future__ import annotations

from pathlib import Path

import torch
from hydra.errors import InstantiationException
from omegaconf import DictConfig

from da.errors import DAError
from da.tracking import check_wandb_mode
from da.typecheck import check_types


def validate(cfg: DictConfig) -> None:
    """Checks that need no data, so a typo fails in seconds rather than after loading."""
    check_types(cfg)
    t = cfg.trainer
    max_steps = t.get("max_steps", -1)
    if max_steps is not None and (max_steps == 0 or max_steps < -1):
        raise DAError(f"trainer.max_steps must be positive (or -1 with trainer.max_epochs), "
                      f"got {max_steps}")
    vci = t.get("val_check_interval")
    if isinstance(vci, int) and t.get("max_steps", -1) > 0 and vci > t.max_steps:
        raise DAError(f"trainer.val_check_interval={vci} exceeds trainer.max_steps="
                      f"{t.max_steps}: no validation would run, so nothing could be selected; "
                      "lower trainer.val_check_interval")
    if "acc_oracle" in cfg.selection.monitor and not cfg.selection.get("allow_oracle", False):
        raise DAError(f"selection.monitor={cfg.selection.monitor} uses target labels; choose a "
                      "label-free selection (e.g. selection=source_acc)")
    accel, devices = str(t.get("accelerator", "cpu")), t.get("devices", 1)
    if accel in ("gpu", "cuda"):
        visible = torch.cuda.device_count()
        if visible == 0:
            raise DAError(f"trainer.accelerator={accel} needs a CUDA GPU but none is visible; "
                          "use trainer=cpu (or trainer=ddp_cpu to test DDP)")
        if isinstance(devices, int) and devices > visible:
            raise DAError(f"trainer.devices={devices} but only {visible} GPU(s) are visible; "
                          f"use trainer.devices={visible} or -1 for all")
    if isinstance(devices, int) and devices == 0:
        raise DAError("trainer.devices=0 runs nothing; use 1 or more (or -1 for all GPUs)")
    if int(cfg.data.batch_size) < 1:
        raise DAError(f"data.batch_size must be >= 1, got {cfg.data.batch_size}")
    if isinstance(devices, int) and devices > 1 and int(cfg.data.batch_size) % devices:
        raise DAError(f"data.batch_size={cfg.data.batch_size} is global and must divide by "
                      f"trainer.devices={devices}; use a multiple of {devices}")
    if cfg.get("init_from") and not Path(str(cfg.init_from)).expanduser().is_file():
        raise DAError(f"init_from={cfg.init_from}: no such file; give a checkpoint written by "
                      "da.train (<run dir>/checkpoints/*.ckpt) or a saved state dict")
    if int(cfg.num_threads) < 1:
        raise DAError(f"num_threads must be >= 1, got {cfg.num_threads}")
    loggers = cfg.get("logger") or {}
    if loggers.get("wandb") is not None:
        check_wandb_mode(str(loggers.wandb.get("mode", "offline")))


def user_error(exc: BaseException) -> DAError | None:
    """The :class:`DAError` behind ``exc``, or one made from a config that cannot be built.

    Hydra wraps errors raised while instantiating; a wrapped :class:`DAError` is returned
    as is, and an unknown ``_target_`` or a bad argument becomes a one-line error naming
    the config key.
    """
    cur: BaseException | None = exc
    while cur is not None:
        if isinstance(cur, DAError):
            return cur
        cur = cur.__cause__
    if isinstance(exc, InstantiationException):
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        key = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("full_key:")), "?")
        what = next((ln for ln in lines if not ln.startswith("full_key:")), "")
        what = what.replace(", set env var HYDRA_FULL_ERROR=1 to see chained exception.", "")
        cause = exc.__cause__
        detail = (f" ({type(cause).__name__}: {' '.join(str(cause).split())})"
                  if cause is not None else "")
        return DAError(f"cannot build `{key}` from the config: {what.rstrip(':')}{detail}; "
                       "check that option's _target_ and arguments")
    return None


def check_group_choices(argv: list[str], conf_dirs: list[Path]) -> None:
    """Reject ``group=option`` overrides naming no config file, in one line, before Hydra runs.

    Hydra's own message spans many lines; this one names the valid options. Sweeps
    (``a,b``) are checked item by item; sweeper syntax such as ``choice(...)`` is left to Hydra.
    """
    for i, arg in enumerate(argv):
        if arg in ("-cd", "--config-dir") and i + 1 < len(argv):
            conf_dirs.append(Path(argv[i + 1]))
        elif arg.startswith("--config-dir="):
            conf_dirs.append(Path(arg.split("=", 1)[1]))
    for arg in argv:
        if arg.startswith(("-", "+", "~", "hydra")) or "=" not in arg:
            continue
        group, _, value = arg.partition("=")
        group = group.split("@")[0]
        dirs = [d / group for d in conf_dirs if (d / group).is_dir()]
        if not dirs or "(" in value or value in ("null", ""):
            continue
        options = sorted({f.stem for d in dirs for f in d.glob("*.yaml")})
        for choice in value.split(","):
            if choice not in options:
                raise DAError(f"{group}={choice} is not an option of group '{group}'; "
                              f"valid options: {', '.join(options)}")
