"""Source only (ERM): no adaptation term; the baseline every method must beat."""

from __future__ import annotations

from da.losses.base import DALoss, LossInputs, LossOutput


class SourceOnly(DALoss):
    """Adds nothing to the source cross-entropy; target batches are not even forwarded."""

    needs_target = False

    def forward(self, inputs: LossInputs) -> LossOutput:
        return LossOutput(loss=self.zero(inputs.f_s))
