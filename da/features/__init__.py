"""Computed features: the frozen-backbone cache (:mod:`da.features.frozen`)."""
