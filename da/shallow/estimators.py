"""Small adapters that let a YAML ``_target_`` build what skada expects."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone


def weighted(estimator):
    """``estimator`` asking for ``sample_weight`` in ``fit`` (sklearn metadata routing), as
    skada's re-weighting adapters (KMM, KLIEP, ...) pass their weights on that way."""
    return estimator.set_fit_request(sample_weight=True)


class OneVsRestDA(ClassifierMixin, BaseEstimator):
    """One-vs-rest for binary-only skada classifiers (``DASVMClassifier``).

    One copy of ``estimator`` per class, fitted on ``y == c`` (masked target labels, ``-1``,
    stay masked) with the same ``sample_domain``; the prediction is the class with the largest
    ``decision_function``.
    """

    def __init__(self, estimator) -> None:
        self.estimator = estimator

    def fit(self, X, y, sample_domain=None):
        y = np.asarray(y)
        self.classes_ = np.unique(y[y >= 0])
        self.estimators_ = [clone(self.estimator).fit(X, np.where(y < 0, -1, (y == c).astype(int)),
                                                      sample_domain=sample_domain)
                            for c in self.classes_]
        return self

    def decision_function(self, X):
        return np.stack([np.ravel(e.decision_function(X)) for e in self.estimators_], axis=1)

    def predict(self, X, sample_domain=None, allow_source=False):
        return self.classes_[self.decision_function(X).argmax(1)]
