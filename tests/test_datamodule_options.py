"""Data-module options the published protocols need: a small source hold-out, a capped pool."""

from __future__ import annotations

import pytest
import torch

from da.build import build_datamodule, build_family
from da.errors import DAError


def _dm(make_cfg, *overrides):
    cfg = make_cfg(*overrides)
    dm = build_datamodule(cfg, build_family(cfg))
    dm.setup()
    return dm


def test_small_source_hold_out_keeps_the_rest_for_training(make_cfg):
    dm = _dm(make_cfg, "data.source_val_fraction=0.05")
    n_val, n_tr = len(dm.splits["source_val"]), len(dm.splits["source_train"])
    assert n_val == round(0.05 * (n_val + n_tr)) and n_val >= 1


def test_val_pool_size_scores_a_fixed_subset_of_the_pool(make_cfg):
    full = _dm(make_cfg)
    n = len(full.target_pool)
    capped = _dm(make_cfg, f"data.val_pool_size={n // 3}")
    pool = capped.val_pool()
    assert len(pool) == n // 3 and len(capped.target_pool) == n  # training still sees all
    # a subset of the pool's rows, the same in every run (split_seed), not the first rows
    rows = {tuple(r.flatten().tolist()) for r in full.target_pool}
    assert all(tuple(r.flatten().tolist()) in rows for r in pool)
    assert torch.equal(pool, _dm(make_cfg, f"data.val_pool_size={n // 3}").val_pool())
    assert not torch.equal(pool, full.target_pool[: n // 3])
    assert len(capped.val_dataloader()[2].dataset) == n // 3
    assert _dm(make_cfg, f"data.val_pool_size={10 * n}").val_pool() is not None


def test_bad_val_pool_size_is_a_one_line_error(make_cfg):
    with pytest.raises(DAError, match="data.val_pool_size must be >= 1"):
        _dm(make_cfg, "data.val_pool_size=-3")
