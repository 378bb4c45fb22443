"""One run: seed, build the run from config, fit, test the checkpoint chosen by the
label-free selection monitor and the last weights, and write ``results.json``.

Imports run one way: the entry point (:mod:`da.train`) calls :func:`run`; :func:`run` calls
the builders, the shallow runner (:mod:`da.shallow.runner`) and the result writers
(:mod:`da.results`, :mod:`da.tracking`), none of which import back.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig, OmegaConf

from da import __version__, slurm
from da.build import build_datamodule, build_family, build_module, check_batch
from da.callbacks.history import MetricHistory
from da.checks import validate
from da.config import domains_label, method_label
from da.errors import DAError
from da.metrics import PER_CLASS as TARGET_PER_CLASS
from da.metrics import SCALARS as TARGET_SCALARS
from da.results import (
    PROBS_FILE,
    RESULTS_FILE,
    config_hash,
    platform_info,
    run_identity,
    save_probs,
    write_json_atomic,
)
from da.selection.validators import analyse as analyse_validators
from da.tracking import wandb_summary

log = logging.getLogger("da.train")

# Known, harmless noise from Lightning on small data and recent torch: keep the log readable.
for _pattern in (".*treespec.*", ".*smaller than the logging interval.*",
                 ".*does not have many workers.*"):
    warnings.filterwarnings("ignore", message=_pattern)
logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
    lambda record: "litlogger" not in record.getMessage())


def hydra_choices() -> dict[str, Any]:
    if not HydraConfig.initialized():
        return {}
    return {k: v for k, v in HydraConfig.get().runtime.choices.items()
            if not k.startswith("hydra/")}


def output_dir(cfg: DictConfig) -> Path:
    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir)
    return Path(cfg.paths.output_dir)


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
    out_dir = output_dir(cfg)
    ckpt_path = _resume_checkpoint(cfg, out_dir)

    history = MetricHistory()
    # `callbacks.<name>=null` (or `~callbacks.<name>`) switches one off
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None]
    callbacks.append(history)
    loggers = [instantiate(lg) for lg in (cfg.get("logger") or {}).values() if lg is not None]
    trainer: L.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    check_batch(module.terms, cfg.data.batch_size, trainer.world_size)

    resolved = OmegaConf.to_container(cfg, resolve=True)
    choices = hydra_choices()
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
        "source_acc_split": dm.source_test_split,
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
                wandb_summary(lg, results, out_dir)
        log.info("target_acc=%.4f (selected by %s) | last=%.4f | oracle=%.4f | %s",
                 results["target_acc"], sel.monitor, results["target_acc_last"],
                 results["target_acc_oracle"] or float("nan"), out_dir)
    return results


def _run_shallow(cfg: DictConfig) -> dict[str, Any]:
    """``method.shallow`` (da/shallow/runner.py): same splits, loggers and results.json."""
    from da.shallow.runner import run_shallow

    out_dir = output_dir(cfg)
    if cfg.get("resume"):
        raise DAError(f"method={method_label(cfg.method)} is a shallow method with no "
                      "checkpoint to resume; drop resume=true")
    _resume_checkpoint(cfg, out_dir)  # never overwrite a finished run

    def make_loggers() -> list:
        return [instantiate(lg) for lg in (cfg.get("logger") or {}).values() if lg is not None]

    return run_shallow(cfg, out_dir, hydra_choices(), make_loggers)


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
