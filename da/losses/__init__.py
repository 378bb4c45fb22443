"""Adaptation losses. Each file holds one loss; `base.py` holds the plugin contract."""

from da.losses.base import DALoss, LossInputs, LossOutput

__all__ = ["DALoss", "LossInputs", "LossOutput"]
