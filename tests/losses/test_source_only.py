import torch

from da.losses.source_only import SourceOnly
from tests.losses.helpers import make_inputs


def test_source_only_adds_nothing_and_skips_target():
    loss = SourceOnly(4, 3)
    out = loss(make_inputs(torch.randn(5, 4), torch.randn(5, 4)))
    assert out.loss.item() == 0.0
    assert loss.needs_target is False
