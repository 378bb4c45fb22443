"""Small adapters that let a YAML ``_target_`` build what skada expects."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

log = logging.getLogger("da.shallow")


def weighted(estimator):
    """``estimator`` asking for ``sample_weight`` in ``fit`` (sklearn metadata routing), as
    skada's re-weighting adapters (KMM, KLIEP, ...) pass their weights on that way."""
    return estimator.set_fit_request(sample_weight=True)


class OneVsRestDA(ClassifierMixin, BaseEstimator):
    """One-vs-rest for binary-only skada classifiers (``DASVMClassifier``).

    One copy of ``estimator`` per class, fitted on ``y == c`` (masked target labels, ``-1``,
    stay masked) with the same ``sample_domain``; the prediction is the class with the largest
    ``decision_function``. When a member cannot be fitted because self-labelling left one
    class only (a class with fewer source samples than the steps remove), that member is the
    base classifier fitted on the labelled source alone; ``fallbacks_`` lists those classes
    and the run's ``diagnostics`` record them.
    """

    def __init__(self, estimator) -> None:
        self.estimator = estimator

    def fit(self, X, y, sample_domain=None):
        y = np.asarray(y)
        self.classes_ = np.unique(y[y >= 0])
        self.estimators_, self.fallbacks_ = [], []
        for c in self.classes_:
            yc = np.where(y < 0, -1, (y == c).astype(int))
            try:
                self.estimators_.append(clone(self.estimator).fit(X, yc,
                                                                  sample_domain=sample_domain))
            except ValueError:
                # self-labelling removed every positive source sample of a small class: that
                # class keeps the non-adapted base classifier, fitted on the labelled source
                base = clone(self.estimator.base_estimator)
                self.estimators_.append(base.fit(X[yc >= 0], yc[yc >= 0]))
                self.fallbacks_.append(int(c))
        if self.fallbacks_:
            log.warning("%s: classes %s fell back to the source-only base classifier",
                        type(self.estimator).__name__, self.fallbacks_)
        return self

    def decision_function(self, X):
        return np.stack([np.ravel(e.decision_function(X)) for e in self.estimators_], axis=1)

    def predict(self, X, sample_domain=None, allow_source=False):
        return self.classes_[self.decision_function(X).argmax(1)]
