"""Evaluation metrics of the target test split, the same for deep and shallow runs.

:func:`classification_metrics` turns class probabilities ``p (N, K)`` (or hard
predictions) and labels ``y (N,)`` into the ``results.json`` fields that transfer-learning
tutorials report, all computed by torchmetrics' functional API:

* ``target_precision``, ``target_recall``, ``target_f1``: macro averages over the ``K``
  classes (``multiclass_precision`` / ``_recall`` / ``_f1_score``, ``average="macro"``);
* ``target_per_class_precision`` / ``_recall`` / ``_f1``: the same per class
  (``average=None``); ``None`` where undefined: precision of a class never predicted,
  recall of a class absent from the labels, F1 of a class absent from both (the macro
  averages are torchmetrics', which leave out classes absent from both); recall per class
  is the per-class accuracy;
* ``target_auroc``: ROC-AUC from the probabilities, ``binary_auroc`` of class 1 for two
  classes, one-vs-rest ``multiclass_auroc`` macro-averaged over the classes present in the
  labels otherwise (a class with no positive, or no negative, has no ROC curve); ``None``
  without probabilities or with fewer than two classes present;
* ``target_confusion``: ``multiclass_confusion_matrix``, rows = true class.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics.functional.classification import (
    binary_auroc,
    multiclass_auroc,
    multiclass_confusion_matrix,
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
)

# the scalar fields (results.json, W&B summary, da-report --metric) and the per-class ones
SCALARS = ("target_precision", "target_recall", "target_f1", "target_auroc")
PER_CLASS = ("target_per_class_precision", "target_per_class_recall", "target_per_class_f1")


def _auroc(p: Tensor, y: Tensor, k: int) -> float | None:
    present = torch.bincount(y, minlength=k)
    valid = (present > 0) & (present < len(y))  # both positives and negatives
    if int(valid.sum()) < 1 or k < 2:
        return None
    if k == 2:
        return float(binary_auroc(p[:, 1], y))
    per_class = multiclass_auroc(p, y, num_classes=k, average=None)
    return float(per_class[valid].mean())


def classification_metrics(y: Tensor, preds: Tensor, probs: Tensor | None,
                           num_classes: int) -> dict[str, Any]:
    """The fields named in the module docstring, from labels ``y``, predicted classes
    ``preds`` and (optionally) class probabilities ``probs (N, K)``."""
    y, preds, k = y.long().cpu(), preds.long().cpu(), int(num_classes)
    args = {"num_classes": k, "zero_division": 0}
    in_y, in_pred = torch.bincount(y, minlength=k) > 0, torch.bincount(preds, minlength=k) > 0

    def per_class(fn, defined: Tensor) -> list[float | None]:
        vals = fn(preds, y, average=None, **args)
        return [float(v) if d else None for v, d in zip(vals, defined, strict=True)]

    out: dict[str, Any] = {
        "target_precision": float(multiclass_precision(preds, y, average="macro", **args)),
        "target_recall": float(multiclass_recall(preds, y, average="macro", **args)),
        "target_f1": float(multiclass_f1_score(preds, y, average="macro", **args)),
        "target_auroc": None if probs is None else _auroc(probs.float().cpu(), y, k),
        "target_per_class_precision": per_class(multiclass_precision, in_pred),
        "target_per_class_recall": per_class(multiclass_recall, in_y),
        "target_per_class_f1": per_class(multiclass_f1_score, in_y | in_pred),
        "target_confusion": multiclass_confusion_matrix(preds, y, k).tolist(),
    }
    return out
