"""Label-free validators: known values, orientation, and the after-the-fact analysis."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from da.config import CONF_DIR
from da.selection import validators as V


def test_entropy_and_info_max_known_values():
    uniform = torch.full((4, 2), 0.5)
    onehot = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert V.entropy(uniform) == pytest.approx(math.log(2))
    assert V.entropy(onehot) == pytest.approx(0.0, abs=1e-6)
    # confident and balanced: IM = H(mean) - mean H = log 2 - 0
    assert V.info_max(onehot) == pytest.approx(math.log(2), abs=1e-6)
    # confident but collapsed onto one class: IM = 0
    assert V.info_max(torch.tensor([[1.0, 0.0]] * 4)) == pytest.approx(0.0, abs=1e-6)


def test_bnm_prefers_diverse_confident_predictions():
    diverse = torch.eye(3).repeat(2, 1)
    collapsed = torch.tensor([[1.0, 0.0, 0.0]] * 6)
    # nuclear norm of [I; I] is 3 * sqrt(2); of a rank-one all-ones column, sqrt(6)
    assert V.bnm(diverse) == pytest.approx(3 * math.sqrt(2) / 6)
    assert V.bnm(collapsed) == pytest.approx(math.sqrt(6) / 6)


def test_snd_is_higher_for_dense_neighbourhoods():
    g = torch.Generator().manual_seed(0)
    dense = torch.randn(1, 8, generator=g) + 0.01 * torch.randn(40, 8, generator=g)
    spread = torch.randn(40, 8, generator=g)
    assert V.snd(dense) > V.snd(spread)


def test_dev_weights_source_loss_toward_target_like_samples():
    g = torch.Generator().manual_seed(0)
    f_s = torch.randn(200, 2, generator=g)
    f_t = torch.randn(200, 2, generator=g) + torch.tensor([1.5, 0.0])
    loss_target_like = (f_s[:, 0] > 0).float() * 2.0  # high loss on target-like samples
    loss_other = (f_s[:, 0] <= 0).float() * 2.0
    assert V.dev(f_s, loss_target_like, f_t) > V.dev(f_s, loss_other, f_t)
    # equal loss everywhere: the control variate makes DEV the plain mean loss
    assert V.dev(f_s, torch.ones(200), f_t) == pytest.approx(1.0, abs=1e-6)


def test_analyse_picks_each_validators_best_step_and_correlation():
    history = [
        {"step": 10, "val/source/acc": 0.5, "val/select/entropy": 1.0, "val/target/acc_oracle": 0.3},
        {"step": 20, "val/source/acc": 0.9, "val/select/entropy": 0.5, "val/target/acc_oracle": 0.6},
        {"step": 30, "val/source/acc": 0.8, "val/select/entropy": 0.2, "val/target/acc_oracle": 0.7},
    ]
    out = V.analyse(history)
    assert out["source_acc"]["best_step"] == 20 and out["source_acc"]["target_acc"] == 0.6
    assert out["entropy"]["best_step"] == 30 and out["entropy"]["target_acc"] == 0.7
    assert out["entropy"]["spearman"] == pytest.approx(1.0)  # lower entropy <-> higher acc
    assert out["source_acc"]["spearman"] == pytest.approx(0.5)
    assert "snd" not in out  # never logged


def test_selection_configs_match_the_registry():
    for name, (monitor, mode) in V.VALIDATORS.items():
        cfg = OmegaConf.load(Path(CONF_DIR) / "selection" / f"{name}.yaml")
        assert (cfg.name, cfg.monitor, cfg.mode) == (name, monitor, mode)


def test_every_validator_logged_every_validation(make_cfg):
    from da.train import run

    r = run(make_cfg("method=dann", "selection=snd"))
    for row in r["history"]:
        for key, _ in V.VALIDATORS.values():
            assert key in row, key
    assert set(r["validators"]) == set(V.VALIDATORS)
    assert r["selection"]["monitor"] == "val/select/snd"


def test_snd_scores_a_fixed_subset_of_large_pools():
    from da.selection.validators import snd

    f = torch.randn(300, 8, generator=torch.Generator().manual_seed(0))
    full, sub = snd(f), snd(f, max_samples=100)
    assert sub == snd(f, max_samples=100)  # the same subset every time
    idx = torch.randperm(300, generator=torch.Generator().manual_seed(0))[:100]
    assert sub == snd(f[idx], max_samples=1000) and full != sub
