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


def test_target_pool_size_trains_on_a_fixed_subset_of_the_pool(make_cfg):
    full = _dm(make_cfg)
    n = len(full.target_pool)
    capped = _dm(make_cfg, f"data.target_pool_size={n // 2}")
    pool = capped.target_pool
    assert len(pool) == n // 2
    # rows of the whole pool, fixed by split_seed (not by the trial seed), not the first rows
    rows = {tuple(r.flatten().tolist()) for r in full.target_pool}
    assert all(tuple(r.flatten().tolist()) in rows for r in pool)
    assert torch.equal(pool, _dm(make_cfg, f"data.target_pool_size={n // 2}", "seed=5").target_pool)
    assert not torch.equal(pool, full.target_pool[: n // 2])
    other = _dm(make_cfg, f"data.target_pool_size={n // 2}", "data.split_seed=1").target_pool
    assert not torch.equal(pool, other)
    # training batches and the validators both draw from the capped pool only
    batch = next(iter(capped.train_dataloader()))["target"][0]
    capped_rows = {tuple(r.flatten().tolist()) for r in pool}
    assert all(tuple(r.flatten().tolist()) in capped_rows for r in batch)
    assert len(capped.val_dataloader()[2].dataset) == n // 2
    # the labelled splits are untouched
    for name in ("source_train", "source_val", "target_test"):
        assert torch.equal(capped.splits[name].x, full.splits[name].x)
    assert torch.equal(_dm(make_cfg, f"data.target_pool_size={n}").target_pool, full.target_pool)


@pytest.mark.parametrize("value, message", [
    ("0", "data.target_pool_size must be >= 1"),
    ("100000000", "data.target_pool_size=100000000 but target"),
])
def test_bad_target_pool_size_is_a_one_line_error(make_cfg, value, message):
    with pytest.raises(DAError, match=message) as err:
        _dm(make_cfg, f"data.target_pool_size={value}")
    assert "\n" not in str(err.value)


def test_source_accuracy_is_measured_on_source_data_the_model_did_not_train_on(make_cfg):
    from da.data.base import DomainFamily, Split

    dm = _dm(make_cfg)  # scikit-learn digits: each domain has a test split of its own
    assert dm.source_test_split == "source_test"
    assert len(dm.splits["source_test"]) != len(dm.splits["source_val"])

    class _NoTestSplit(DomainFamily):  # PACS, Office, the Amazon reviews: test = train
        name, domains, num_classes, input_shape = "no_test", ("s", "u", "t"), 2, (3,)

        def _load(self, domain, split):
            g = torch.Generator().manual_seed(ord(domain))
            x = torch.randn(60, 3, generator=g)  # a fresh tensor each call, equal values
            return Split(x, (x[:, 0] > 0).long())

    from da.data.datamodule import DADataModule

    dm = DADataModule(_NoTestSplit(), ["s"], "t", batch_size=8, source_val_fraction=0.25)
    dm.setup()
    assert dm.source_test_split == "source_val"
    assert torch.equal(dm.splits["source_test"].x, dm.splits["source_val"].x)
    train_rows = {tuple(r.tolist()) for r in dm.splits["source_train"].x}
    assert not train_rows & {tuple(r.tolist()) for r in dm.splits["source_test"].x}


def test_lazy_inputs_tell_whether_they_hold_the_same_samples(tmp_path):
    import numpy as np
    from scipy import sparse

    from da.data.images import ImageFiles
    from da.data.text_features import SparseRows, TokenIds

    paths = np.array([b"a.png", b"b.png", b"c.png"])
    img = ImageFiles(tmp_path, paths, None, None)
    assert img.same_as(ImageFiles(tmp_path, paths.copy(), None, None))
    assert not img.same_as(img[torch.tensor([0, 2, 1])])
    m = sparse.random(4, 6, density=0.5, random_state=0, format="csr")
    rows = SparseRows(m)
    assert rows.same_as(SparseRows(m.copy())) and not rows.same_as(rows[torch.tensor([1, 0, 2, 3])])
    flat, offsets = np.array([5, 6, 7, 8, 9]), np.array([0, 2, 5])
    ids = TokenIds(flat, offsets, 0, 4, {})
    assert ids.same_as(TokenIds(flat.copy(), offsets.copy(), 0, 4, {}))
    assert not ids.same_as(ids[torch.tensor([1, 0])]) and not ids.same_as(ids[torch.tensor([0])])
