"""Hydra entry point: ``python -m da.train`` / ``da-train``.

Seeds, builds the run from config, fits, tests the checkpoint chosen by the label-free
selection monitor and the last weights, writes ``results.json`` and returns the metric
a sweeper optimises.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from hydra.utils import instantiate
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig, OmegaConf

from da import __version__, slurm
from da.build import build_datamodule, build_family, build_module, check_batch
from da.callbacks.history import MetricHistory
from da.config import CONF_DIR, domains_label, method_label
from da.errors import DAError, TrainingFailed
from da.metrics import PER_CLASS as TARGET_PER_CLASS
from da.metrics import SCALARS as TARGET_SCALARS
from da.results import (
    PROBS_FILE,
    RESULTS_FILE,
    config_hash,
    find_completed,
    platform_info,
    read_results,
    run_identity,
    save_probs,
    write_json_atomic,
)
from da.selection.validators import analyse as analyse_validators
from da.tracking import check_wandb_mode, finish_wandb
from da.typecheck import check_types

log = logging.getLogger("da.train")

# Known, harmless noise from Lightning on small data and recent torch: keep the log readable.
for _pattern in (".*treespec.*", ".*smaller than the logging interval.*",
                 ".*does not have many workers.*"):
    warnings.filterwarnings("ignore", message=_pattern)
logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
    lambda record: "litlogger" not in record.getMessage())


def _hydra_choices() -> dict[str, Any]:
    if not HydraConfig.initialized():
        return {}
    return {k: v for k, v in HydraConfig.get().runtime.choices.items()
            if not k.startswith("hydra/")}


def _output_dir(cfg: DictConfig) -> Path:
    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir)
    return Path(cfg.paths.output_dir)


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


def run(cfg: DictConfig) -> dict[str, Any]:
    """One training run; returns the results dict (also written to ``results.json``)."""
    start = time.time()
    validate(cfg)
    if cfg.method.get("shallow"):  # a scikit-learn / skada estimator, not a Lightning system
        return _run_shallow(cfg)
    torch.set_num_threads(int(cfg.num_threads))
    L.seed_everything(int(cfg.seed), workers=True)
    family = build_family(cfg)
    module = build_module(cfg, family)
    if getattr(module.net, "frozen", None):  # finetune=frozen|partial keeps them in eval mode
        warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode.*")
    dm = build_datamodule(cfg, family)
    out_dir = _output_dir(cfg)
    ckpt_path = _resume_checkpoint(cfg, out_dir)

    history = MetricHistory()
    # `callbacks.<name>=null` (or `~callbacks.<name>`) switches one off
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None]
    callbacks.append(history)
    loggers = [instantiate(lg) for lg in (cfg.get("logger") or {}).values() if lg is not None]
    trainer: L.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    check_batch(module.terms, cfg.data.batch_size, trainer.world_size)

    resolved = OmegaConf.to_container(cfg, resolve=True)
    choices = _hydra_choices()
    for lg in trainer.loggers:
        lg.log_hyperparams({"cfg": resolved, "choices": choices, "task": cfg.task,
                            "method": method_label(cfg.method), "seed": cfg.seed, "source": domains_label(cfg.source),
                            "target": cfg.target, "dataset": cfg.dataset.name,
                            "selection": cfg.selection.name, "study": cfg.study})

    try:
        with slurm.stop_on_requeue_signal():
            trainer.fit(module, datamodule=dm, ckpt_path=ckpt_path)
    except SIGTERMException:
        preempted = _preempted(cfg, trainer, out_dir, start)
        slurm.requeue_if_signalled()
        return preempted
    # Read everything fit produced before testing: loading the best checkpoint for the
    # test restores the callbacks' state as it was at that step.
    fit_history = list(history.history)
    diagnostics = next((dict(c.results) for c in callbacks if hasattr(c, "results")), {})
    ckpt = next((c for c in trainer.checkpoint_callbacks if c.monitor), None)
    best_path = ckpt.best_model_path if ckpt else ""
    best_score = (float(ckpt.best_model_score)
                  if ckpt is not None and ckpt.best_model_score is not None else None)
    sel = cfg.selection
    best_step = next((r["step"] for r in fit_history
                      if best_score is not None and r.get(sel.monitor) == best_score), None)
    last = _test(trainer, module, dm, ckpt_path=None)
    selected = _test(trainer, module, dm, ckpt_path=best_path) if best_path else last
    per_class = _per_class(module, dm)  # the selected checkpoint's weights are loaded now
    oracle = [r["val/target/acc_oracle"] for r in fit_history if "val/target/acc_oracle" in r]

    results = {
        **run_identity(cfg, method_label(cfg.method)),
        "target_acc": selected.get("test/target/acc"),
        **{k: per_class[k] for k in TARGET_SCALARS},
        "target_acc_last": last.get("test/target/acc"),
        "target_acc_oracle": max(oracle) if oracle else None,
        "source_acc": selected.get("test/source/acc"),
        "selection": {"name": sel.name, "monitor": sel.monitor, "mode": sel.mode,
                      "best_score": best_score, "best_step": best_step,
                      "checkpoint": best_path or None},
        "steps": int(trainer.global_step),
        "resumed_from_step": int(module.start_step),
        "wall_time_s": round(time.time() - start, 3),
        "world_size": trainer.world_size,
        "versions": {"da": __version__, "torch": torch.__version__, "lightning": L.__version__},
        "platform": platform_info(str(module.device)),
        "validators": analyse_validators(fit_history),
        "diagnostics": diagnostics,
        "target_per_class_acc": per_class["per_class_acc"],
        **{k: per_class[k] for k in TARGET_PER_CLASS},
        "target_confusion": per_class["confusion"],
        "target_probs_file": PROBS_FILE,
        "history": fit_history,
        "choices": choices,
        "config": resolved,
    }
    if trainer.is_global_zero:
        save_probs(out_dir / PROBS_FILE, per_class["probs"])
        write_json_atomic(out_dir / RESULTS_FILE, results)
        for lg in trainer.loggers:
            if type(lg).__name__ == "WandbLogger":
                _wandb_summary(lg, results, out_dir)
        log.info("target_acc=%.4f (selected by %s) | last=%.4f | oracle=%.4f | %s",
                 results["target_acc"], sel.monitor, results["target_acc_last"],
                 results["target_acc_oracle"] or float("nan"), out_dir)
    return results


def _run_shallow(cfg: DictConfig) -> dict[str, Any]:
    """``method.shallow`` (da/shallow/runner.py): same splits, loggers and results.json."""
    from da.shallow.runner import run_shallow

    out_dir = _output_dir(cfg)
    if cfg.get("resume"):
        raise DAError(f"method={method_label(cfg.method)} is a shallow method with no "
                      "checkpoint to resume; drop resume=true")
    _resume_checkpoint(cfg, out_dir)  # never overwrite a finished run

    def make_loggers() -> list:
        return [instantiate(lg) for lg in (cfg.get("logger") or {}).values() if lg is not None]

    return run_shallow(cfg, out_dir, _hydra_choices(), make_loggers)


def _wandb_summary(lg, results: dict, out_dir: Path) -> None:
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


def _resume_checkpoint(cfg: DictConfig, out_dir: Path) -> str | None:
    """``resume=true`` continues ``<run dir>/checkpoints/last.ckpt``; never overwrite a finished run."""
    done = out_dir / RESULTS_FILE
    if done.exists() and json.loads(done.read_text()).get("status") == "ok":
        raise DAError(f"{out_dir} already holds a finished run ({RESULTS_FILE}); choose another "
                      "hydra.run.dir (or leave it unset) instead of overwriting it")
    requeued = slurm.restarted_with_checkpoint(out_dir)
    if requeued is not None:  # SLURM started this job again: continue where it stopped
        log.info("SLURM requeued this job; resuming from %s", requeued)
        slurm.keep_previous_metrics(out_dir)
        return str(requeued)
    if not cfg.get("resume"):
        return None
    last = out_dir / "checkpoints" / "last.ckpt"
    if not last.is_file():
        raise DAError(f"resume=true but {last} does not exist; pass the run directory of the "
                      "interrupted run as hydra.run.dir=<dir>")
    log.info("resuming from %s", last)
    slurm.keep_previous_metrics(out_dir)
    return str(last)


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


def _preempted(cfg: DictConfig, trainer: L.Trainer, out_dir: Path, start: float) -> dict:
    """SIGTERM (or SLURM's pre-emption signal): checkpoint saved by `Preemption`; exit cleanly."""
    results = {"status": "preempted", "config_hash": config_hash(cfg), "task": cfg.task,
               "method": method_label(cfg.method),
               "seed": int(cfg.seed), "steps": int(trainer.global_step),
               "wall_time_s": round(time.time() - start, 3),
               "resume": f"rerun the same command with hydra.run.dir={out_dir} resume=true"}
    if trainer.is_global_zero:
        write_json_atomic(out_dir / RESULTS_FILE, results)
        log.warning("preempted at step %d; %s", trainer.global_step, results["resume"])
    return results


@torch.no_grad()
def _per_class(module, dm) -> dict[str, Any]:
    """The target test split's metrics (:func:`da.metrics.classification_metrics`: precision,
    recall, F1, ROC-AUC, confusion matrix, rows = true class), its per-class accuracy and
    the class probabilities (``probs``, kept for sweep-level selection such as EnsV)."""
    from da.metrics import classification_metrics

    split = dm.splits["target_test"]
    module.eval()
    probs = torch.cat([module(x.to(module.device)).float().softmax(-1).cpu()
                       for x in dm.input_batches(split.x, 512)])
    out = classification_metrics(split.y, probs.argmax(-1), probs, dm.num_classes)
    out["per_class_acc"] = out["target_per_class_recall"]  # None for a class with no sample
    out["confusion"] = out["target_confusion"]
    out["probs"] = probs
    return out


def _test(trainer: L.Trainer, module, dm, ckpt_path: str | None) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for d in trainer.test(module, datamodule=dm, ckpt_path=ckpt_path, verbose=False):
        metrics.update({k: float(v) for k, v in d.items()})
    return metrics


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


def record_failure(cfg: DictConfig, exc: BaseException) -> Path | None:
    """Write ``results.json`` with ``status: failed`` and the error, unless one exists already."""
    path = _output_dir(cfg) / RESULTS_FILE
    if path.exists():
        return None
    message = " ".join(str(user_error(exc) or exc).split()) or type(exc).__name__
    return write_json_atomic(path, {
        "status": "failed", "error": f"{type(user_error(exc) or exc).__name__}: {message}",
        "config_hash": _hash_or_none(cfg),
        "task": OmegaConf.select(cfg, "task", default=None),
        "method": _label_or_none(cfg),
        "seed": OmegaConf.select(cfg, "seed", default=None),
        "choices": _hydra_choices(),
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
            out = _output_dir(cfg)
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


def main() -> None:
    try:
        check_group_choices(sys.argv[1:], [Path(CONF_DIR)])
    except DAError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    _hydra_main()


if __name__ == "__main__":
    main()
