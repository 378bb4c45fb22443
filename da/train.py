"""Hydra entry point: ``python -m da.train`` / ``da-train``.

Checks the command line (:mod:`da.checks`), skips sweep points that already completed, runs
one job (:func:`da.run.run`), records a failure as ``results.json`` and returns the metric a
sweeper optimises.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from da.checks import check_group_choices, user_error, validate
from da.config import CONF_DIR, method_label
from da.errors import DAError, TrainingFailed
from da.results import RESULTS_FILE, config_hash, find_completed, read_results, write_json_atomic
from da.run import hydra_choices, output_dir, run
from da.tracking import finish_wandb

__all__ = ["main", "run", "user_error", "validate", "optimized_value", "record_failure"]

log = logging.getLogger("da.train")


def _label_or_none(cfg: DictConfig) -> str | None:
    try:
        return method_label(cfg.method)
    except Exception:  # noqa: BLE001 - a failure record must be written whatever broke
        return OmegaConf.select(cfg, "method.name", default=None)


def _hash_or_none(cfg: DictConfig) -> str | None:
    try:
        return config_hash(cfg)
    except Exception:  # noqa: BLE001 - a failure record must be written whatever broke
        return None


def optimized_value(cfg: DictConfig, results: dict[str, Any]) -> float | None:
    """The value a sweeper optimises (label-free by default: the selection score)."""
    key = cfg.get("optimized_metric")
    if results.get("status") != "ok":
        return None
    if not key:
        return None
    if key in results and isinstance(results[key], int | float):
        return float(results[key])
    values = [r[key] for r in results.get("history", []) if key in r]
    return max(values) if values else None


def _is_multirun() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def record_failure(cfg: DictConfig, exc: BaseException) -> Path | None:
    """Write ``results.json`` with ``status: failed`` and the error, unless one exists already."""
    path = output_dir(cfg) / RESULTS_FILE
    if path.exists():
        return None
    message = " ".join(str(user_error(exc) or exc).split()) or type(exc).__name__
    return write_json_atomic(path, {
        "status": "failed", "error": f"{type(user_error(exc) or exc).__name__}: {message}",
        "config_hash": _hash_or_none(cfg),
        "task": OmegaConf.select(cfg, "task", default=None),
        "method": _label_or_none(cfg),
        "seed": OmegaConf.select(cfg, "seed", default=None),
        "choices": hydra_choices(),
        "config": OmegaConf.to_container(cfg, resolve=False),
    })


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train")
def _hydra_main(cfg: DictConfig) -> float | None:
    if _is_multirun() and not cfg.get("force", False):
        done = find_completed(cfg.paths.log_dir, config_hash(cfg))
        if done is not None:  # re-running a sweep only runs what has not completed
            log.info("skipping: the same config already completed in %s (force=true reruns)",
                     done.parent)
            previous = read_results(done)
            out = output_dir(cfg)
            # a new sweep directory stays complete for da-report; the copy names its source.
            # The same directory (the same command re-run) keeps its original untouched.
            if out.resolve() != done.parent.resolve():
                write_json_atomic(out / RESULTS_FILE,
                                  {**previous, "reused_from": previous.get("reused_from")
                                   or str(done.parent)})
            return optimized_value(cfg, previous)
    try:
        return optimized_value(cfg, run(cfg))
    except Exception as e:
        err = user_error(e)
        if _is_multirun() or isinstance(err, TrainingFailed):
            record_failure(cfg, e)
        if err is None or _is_multirun():
            raise  # in a sweep the other jobs still run; Hydra reports the failure at the end
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    finally:
        finish_wandb()


def main() -> None:
    try:
        check_group_choices(sys.argv[1:], [Path(CONF_DIR)])
    except DAError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    _hydra_main()


if __name__ == "__main__":
    main()
