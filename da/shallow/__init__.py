"""Shallow (scikit-learn / skada) domain adaptation as methods: ``method=sk_<name>``.

A method YAML with a ``shallow:`` block (an estimator built from ``_target_`` and a small
grid of hyperparameters) is run by :func:`da.shallow.runner.run_shallow` instead of the
Lightning trainer, on the same splits, with label-free selection, writing the same
``results.json``. ``skada`` is an optional extra: ``pip install 'da[shallow]'``.
"""
