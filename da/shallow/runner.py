"""Run a shallow method (``method.shallow``) and write the same ``results.json`` as deep runs.

Protocol, identical to the deep methods' where it can be:

* **Data**: :class:`~da.data.datamodule.DADataModule`'s splits (fixed by ``data.split_seed``):
  the estimator is fitted on the *source training split* (labelled) and the *target pool*
  (labels dropped), the held-out *source validation* split scores it, and the target test
  split (and the source test split) are only evaluated. A source domain without a test split
  of its own (test = train) is tested on its held-out part (``source_acc_split``).
* **Selection without target labels**: every point of ``method.shallow.grid`` is fitted;
  the one with the best source validation accuracy is the result (``selection.name:
  source_acc``), or, with ``method.shallow.scorer`` (a skada scorer's ``_target_``), the
  best score of that scorer on the source validation split + target pool. Ties go to the
  earlier point. ``target_acc_oracle`` is the best target accuracy over the grid (target
  labels: an upper bound, never a selection); ``target_acc_last`` is the selected model's
  (there is no "last" checkpoint: the selected model is the final one).
* ``method.shallow.refit: true`` (scikit-learn's ``GridSearchCV(refit=True)``): once the
  point is selected, it is fitted again on the whole source training split, validation part
  included, and that model gives ``target_acc`` / ``source_acc`` (``source_acc`` stays the
  selected fit's when the source test split is that hold-out); ``target_acc_oracle`` is
  the best of the grid's fits and the refit model. The hold-out then serves the selection alone and
  costs the final model no data (with a one-point grid it only measures the source fit).
* The final model is written to ``model.joblib`` in the run directory (joblib, a pickle:
  load only files you trust), so a later run can use it, e.g. as the teacher of a deep
  student (``method=kd method.loss.teacher_path=<run>/model.joblib``).
* **Adapter fits are shared across the grid**: a method that is a scikit-learn ``Pipeline``
  (skada's adapter + classifier, e.g. ``sk_coral``, ``sk_sa``, ``sk_tca``) gets a joblib
  ``Memory`` in a temporary folder for the run's grid, so points that differ only in the
  classifier's options (``base_estimator.C``) fit the adapter once (scikit-learn's
  ``Pipeline(memory=...)``; results are the same, the folder is removed at the end).
* ``seed`` seeds NumPy and each estimator's ``random_state`` where the YAML passes it;
  deterministic estimators give the same result for every seed (the splits do not change
  with it). ``num_threads`` caps the BLAS / OpenMP threads.
"""

from __future__ import annotations

import inspect
import logging
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from da import __version__
from da.build import build_datamodule, build_family
from da.config import domains_label, method_label
from da.errors import DAError
from da.results import (
    PROBS_FILE,
    RESULTS_FILE,
    platform_info,
    run_identity,
    save_probs,
    write_json_atomic,
)
from da.shallow.grid import points, require_packages, with_params

log = logging.getLogger("da.shallow")
SOURCE, TARGET = 1, -2  # skada's sample_domain convention: sources > 0, targets < 0
MODEL_FILE = "model.joblib"


def check(cfg: DictConfig, family, choices: dict[str, Any]) -> None:
    name = method_label(cfg.method)
    if len(family.input_shape) != 1:
        raise DAError(f"method={name} is a shallow method for feature vectors, but "
                      f"dataset={family.name} has inputs of shape {tuple(family.input_shape)}; "
                      "use a deep method, or a vector dataset (office_caltech_surf, moons, "
                      "files with (N, D) arrays)")
    if int(cfg.data.get("target_labels_per_class") or 0):
        raise DAError(f"method={name} is unsupervised DA; set data.target_labels_per_class=0")
    chosen = str(choices.get("selection") or "source_acc")
    if chosen != "source_acc":
        raise DAError(f"selection={chosen} is for deep methods; method={name} selects by source "
                      "validation accuracy, or by method.shallow.scorer (a skada scorer)")


def _arrays(split) -> tuple[np.ndarray, np.ndarray]:
    return split.x.numpy().astype(np.float64), split.y.numpy()


def _takes_domains(method) -> bool:
    """skada estimators take ``sample_domain``; a plain scikit-learn one does not."""
    params = inspect.signature(method).parameters.values()
    return any(p.name == "sample_domain" or p.kind is p.VAR_KEYWORD for p in params)


def _predict(est, x: np.ndarray, domain: int, proba: bool = False) -> np.ndarray:
    """Classes (or, with ``proba``, class probabilities) of ``x`` as rows of ``domain``."""
    fn = est.predict_proba if proba else est.predict
    if not _takes_domains(fn):
        return fn(x)
    extra = {"allow_source": True} if domain == SOURCE else {}  # skada refuses source by default
    return fn(x, sample_domain=np.full(len(x), domain), **extra)


def _probabilities(est, x: np.ndarray, preds: np.ndarray, k: int) -> np.ndarray | None:
    """Target class probabilities ``(N, k)`` when the estimator gives them (ROC-AUC needs
    them), else ``None``; columns follow ``est.classes_`` when it names them."""
    if not hasattr(est, "predict_proba"):
        return None
    try:
        p = np.asarray(_predict(est, x, TARGET, proba=True), dtype=np.float64)
    except (AttributeError, NotImplementedError, TypeError, ValueError):  # e.g. SVC(probability=False)
        return None
    classes = getattr(est, "classes_", None)
    if classes is None:
        return p if p.shape == (len(x), k) else None
    classes = np.asarray(classes).astype(int)
    if p.shape != (len(x), len(classes)) or classes.min() < 0 or classes.max() >= k:
        return None  # columns that name no class of the task: no ROC-AUC rather than a wrong one
    out = np.zeros((len(x), k))
    out[:, classes] = p
    return out


def save_model(est, path: Path) -> None:
    """The fitted estimator, written atomically (a partial file never replaces a good one)."""
    import joblib

    tmp = path.with_name(path.name + ".tmp")
    joblib.dump(est, tmp)
    tmp.replace(path)


def load_model(path: str | Path):
    """A fitted shallow model written by :func:`save_model`, with one-line errors."""
    import joblib

    path = Path(path)
    if not path.is_file():
        raise DAError(f"no shallow model at {path}; run a method=sk_<name> job first (it writes "
                      f"{MODEL_FILE} into its run directory) and pass that file")
    try:
        est = joblib.load(path)
    except Exception as e:  # truncated or not a joblib file
        raise DAError(f"{path} is not a readable {MODEL_FILE} ({type(e).__name__}); rerun the "
                      "method=sk_<name> job that wrote it") from e
    if not hasattr(est, "predict"):
        raise DAError(f"{path} holds a {type(est).__name__}, not a fitted estimator with "
                      "predict(); pass the model.joblib of a method=sk_<name> run")
    return est


def predict_target(est, x: np.ndarray, proba: bool = False) -> np.ndarray:
    """Class predictions (or, with ``proba``, class probabilities) of a fitted shallow model
    for target-domain rows."""
    return _predict(est, x, TARGET, proba)


def _share_adapter_fits(est, memory) -> None:
    """Let a pipeline's adapter fit be cached in ``memory`` (``None``: no longer)."""
    from sklearn.pipeline import Pipeline

    if isinstance(est, Pipeline) and len(est.steps) > 1:
        est.set_params(memory=memory)


def _fit(est, xs: np.ndarray, ys: np.ndarray, xt: np.ndarray) -> None:
    if _takes_domains(est.fit):
        X = np.vstack([xs, xt])
        y = np.concatenate([ys, np.full(len(xt), -1)])  # target labels masked (skada's way)
        est.fit(X, y, sample_domain=np.r_[np.full(len(xs), SOURCE), np.full(len(xt), TARGET)])
    else:  # a plain classifier (sk_source_only): the labelled source only
        est.fit(xs, ys)


def _fit_and_score(est, data: dict[str, Any], scorer) -> dict[str, float]:
    (xs, ys), xt = data["source_train"], data["target_pool"]
    _fit(est, xs, ys, xt)
    out = {}
    for key, (x, yy), dom in (("source_val", data["source_val"], SOURCE),
                              ("source_test", data["source_test"], SOURCE),
                              ("target_test", data["target_test"], TARGET)):
        out[key] = float(np.mean(_predict(est, x, dom) == yy))
    if scorer is None:
        out["score"] = out["source_val"]
    else:  # a skada scorer: source validation split (labelled) + target pool (unlabelled)
        xv, yv = data["source_val"]
        out["score"] = float(scorer(est, np.vstack([xv, xt]),
                                    np.concatenate([yv, np.full(len(xt), -1)]),
                                    sample_domain=np.r_[np.full(len(xv), SOURCE),
                                                        np.full(len(xt), TARGET)]))
    return out


def run_shallow(cfg: DictConfig, out_dir: Path, choices: dict[str, Any],
                make_loggers: Callable[[], list]) -> dict[str, Any]:
    """Fit every grid point, select without target labels, write ``results.json``.

    ``make_loggers`` is called once the input is known to be good, so bad input writes nothing.
    """
    import torch
    from threadpoolctl import threadpool_limits

    from da.metrics import PER_CLASS as TARGET_PER_CLASS
    from da.metrics import SCALARS as TARGET_SCALARS
    from da.metrics import classification_metrics

    start = time.time()
    spec, name = cfg.method.shallow, method_label(cfg.method)
    require_packages(spec.estimator, name)
    family = build_family(cfg)
    check(cfg, family, choices)
    grid = points(spec.get("grid"))
    for p in grid:
        with_params(spec.estimator, p, name)  # every grid key exists, before any fit
    scorer = instantiate(spec.scorer) if spec.get("scorer") else None
    dm = build_datamodule(cfg, family)
    dm.setup("fit")
    data = {k: _arrays(dm.splits[k]) for k in ("source_train", "source_val", "source_test",
                                                 "target_test")}
    data["target_pool"] = dm.target_pool.numpy().astype(np.float64)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    loggers = make_loggers()
    hparams = {"cfg": resolved, "choices": choices, "task": cfg.task, "method": name,
               "seed": cfg.seed, "source": domains_label(cfg.source), "target": cfg.target,
               "dataset": cfg.dataset.name, "selection": "source_acc", "study": cfg.study}
    for lg in loggers:
        lg.log_hyperparams(hparams)

    from joblib import Memory

    history, fitted, failures = [], [], []
    with (threadpool_limits(int(cfg.num_threads)),
          tempfile.TemporaryDirectory(prefix="da-shallow-") as tmp, warnings.catch_warnings()):
        # joblib warns when hashing a large input takes over a second: expected here
        warnings.filterwarnings("ignore", message="Persisting input arguments took")
        memory = Memory(tmp, verbose=0)
        for i, params in enumerate(grid):
            np.random.seed(int(cfg.seed))
            est = instantiate(with_params(spec.estimator, params, name))
            _share_adapter_fits(est, memory)
            t0 = time.time()
            try:
                m = _fit_and_score(est, data, scorer)
            except ValueError as e:  # e.g. more components than features, or a covariance
                # estimate whose square root is NaN: that point is left out, as scikit-learn's
                # GridSearchCV does (error_score=nan); the run fails only if every point does
                msg = " ".join(str(e).split())[:300]
                failures.append({"step": i, "params": params, "error": msg})
                log.warning("%s %s cannot be fitted, left out of the selection: %s",
                            name, params or "its defaults", msg)
                continue
            row = {"step": i, "params": params, "val/select/score": m["score"],
                   "val/source/acc": m["source_val"], "val/target/acc_oracle": m["target_test"],
                   "test/source/acc": m["source_test"], "fit_time_s": round(time.time() - t0, 3)}
            history.append(row)
            fitted.append(est)
            for lg in loggers:
                lg.log_metrics({k: v for k, v in row.items() if k.startswith(("val/", "test/"))},
                               step=i)
            log.info("%s %s: source val %.4f, score %.4f", name, params, m["source_val"],
                     m["score"])
    if not history:
        first = failures[0]
        raise DAError(f"method={name} cannot be fitted on dataset={cfg.dataset.name} with any "
                      f"of its {len(grid)} grid point(s) (first, {first['params'] or 'its defaults'}"
                      f": {first['error']}); narrow method.shallow.grid for this data")
    best = max(range(len(history)), key=lambda i: (history[i]["val/select/score"], -i))
    sel, est = history[best], fitted[best]
    for f in fitted:
        _share_adapter_fits(f, None)  # the saved model must not point at the removed folder
    xt, yt = data["target_test"]
    source_acc, refit = sel["test/source/acc"], bool(spec.get("refit", False))
    if refit:  # the selected point again, on the whole source training split
        np.random.seed(int(cfg.seed))
        est = instantiate(with_params(spec.estimator, sel["params"], name))
        with threadpool_limits(int(cfg.num_threads)):
            _fit(est, np.vstack([data["source_train"][0], data["source_val"][0]]),
                 np.concatenate([data["source_train"][1], data["source_val"][1]]),
                 data["target_pool"])
        if dm.source_test_split == "source_test":  # else the refit model has seen it: the
            xst, yst = data["source_test"]  # selected fit's held-out accuracy stands
            source_acc = float(np.mean(_predict(est, xst, SOURCE) == yst))
    preds = _predict(est, xt, TARGET)
    probs = _probabilities(est, xt, preds, dm.num_classes)
    target_acc = float(np.mean(preds == yt))
    metrics = classification_metrics(torch.from_numpy(yt), torch.from_numpy(preds),
                                     torch.from_numpy(probs) if probs is not None else None,
                                     dm.num_classes)
    results = {
        **run_identity(cfg, name),
        "target_acc": target_acc,
        **{key: metrics[key] for key in TARGET_SCALARS},
        "target_acc_last": target_acc,
        # the best, by target labels, of every model fitted (the refit one included)
        "target_acc_oracle": max(target_acc, *(r["val/target/acc_oracle"] for r in history)),
        "source_acc": source_acc,
        "source_acc_split": dm.source_test_split,
        "selection": {"name": "source_acc" if scorer is None else f"skada:{type(scorer).__name__}",
                      "monitor": "val/select/score", "mode": "max",
                      "best_score": sel["val/select/score"], "best_step": sel["step"],
                      "checkpoint": None, "params": sel["params"], "grid_size": len(grid),
                      "grid_failures": failures, "refit_on_all_source": refit},
        "steps": 0,
        "resumed_from_step": 0,
        "wall_time_s": round(time.time() - start, 3),
        "world_size": 1,
        "versions": _versions(),
        "platform": platform_info("cpu"),
        "validators": {},
        "diagnostics": ({"fallback_classes": est.fallbacks_} if hasattr(est, "fallbacks_")
                        else {}),
        "target_per_class_acc": metrics["target_per_class_recall"],
        **{key: metrics[key] for key in TARGET_PER_CLASS},
        "target_confusion": metrics["target_confusion"],
        "target_probs_file": PROBS_FILE,
        "history": history,
        "choices": choices,
        "config": resolved,
    }
    save_model(est, out_dir / MODEL_FILE)
    save_probs(out_dir / PROBS_FILE, probs if probs is not None
               else np.eye(dm.num_classes)[preds])  # no probabilities: one-hot predictions
    write_json_atomic(out_dir / RESULTS_FILE, results)
    for lg in loggers:
        lg.log_metrics({"test/target/acc": target_acc, "test/source/acc": results["source_acc"]},
                       step=len(grid))
        if type(lg).__name__ == "WandbLogger":
            from da.tracking import wandb_summary  # the deep runs' summary fields and media

            wandb_summary(lg, results, out_dir)
        lg.finalize("success")
    log.info("target_acc=%.4f (selected by %s: %s) | oracle=%.4f | %s",
             target_acc, results["selection"]["name"], sel["params"],
             results["target_acc_oracle"], out_dir)
    return results


def _versions() -> dict[str, str]:
    import sklearn

    out = {"da": __version__, "sklearn": sklearn.__version__}
    try:
        import skada

        out["skada"] = skada.__version__
    except ImportError:
        pass
    return out
