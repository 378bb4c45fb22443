"""IWV, reverse validation and MixVal (da/selection/validators.py) on cases whose answer is
known, and their logging by DAModule at every validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from da.selection import validators as V

G = torch.Generator().manual_seed(0)


def _clusters(n: int, centre: float) -> torch.Tensor:
    return torch.randn(n, 2, generator=G) * 0.5 + torch.tensor([centre, 0.0])


def test_iwv_weights_the_source_loss_towards_the_target():
    a, b = _clusters(200, -3.0), _clusters(200, 3.0)
    f_s = torch.cat([a, b])
    loss = torch.cat([torch.zeros(200), torch.ones(200)])  # wrong only on cluster b
    assert float(loss.mean()) == 0.5
    # target where the source is right: low risk; where it is wrong: high; same domain: 0.5
    assert V.iwv(f_s, loss, _clusters(300, -3.0)) < 0.1
    assert V.iwv(f_s, loss, _clusters(300, 3.0)) > 0.9
    assert V.iwv(f_s, loss, torch.cat([_clusters(150, -3.0), _clusters(150, 3.0)])) == \
        pytest.approx(0.5, abs=0.1)


def test_iwv_clips_and_normalises_the_weights():
    # 1 source sample near the target among 399 far away: unclipped, it would be the score
    f_s = torch.cat([_clusters(399, -3.0), _clusters(1, 3.0)])
    loss = torch.cat([torch.zeros(399), torch.ones(1)])
    score = V.iwv(f_s, loss, _clusters(300, 3.0))
    w_max = 10.0 / (399 * 0.1 + 10.0)  # the largest share one clipped, normalised weight takes
    assert score == pytest.approx(w_max, rel=0.05)


def _blobs(n: int, shift: float, k: int = 3):
    y = torch.arange(n) % k
    centres = torch.tensor([[0.0, 4.0], [4.0, -3.0], [-4.0, -3.0]])
    return centres[y] + torch.randn(n, 2, generator=G) + shift, y


def test_reverse_validation_rewards_pseudo_labels_that_carry_the_classes_back():
    f_s, y_s = _blobs(300, 0.0)
    f_t, y_t = _blobs(300, 0.5)
    right = torch.nn.functional.one_hot(y_t, 3).float()
    wrong = torch.nn.functional.one_hot((y_t + 1) % 3, 3).float()  # classes swapped
    assert V.reverse(f_s, y_s, f_t, right) > 0.95
    assert V.reverse(f_s, y_s, f_t, wrong) < 0.05
    # one predicted class: the reverse model predicts it, right on that class's share
    one = torch.nn.functional.one_hot(torch.zeros(300, dtype=torch.long), 3).float()
    assert V.reverse(f_s, y_s, f_t, one) == pytest.approx(1 / 3)


def test_mixval_probe_on_a_linear_model_with_known_answers():
    def predict(x):  # class 1 iff x > 0
        return torch.cat([-x, x], 1)

    x = torch.tensor([[1.0], [1.0], [-1.0], [-1.0]])
    pseudo = predict(x).argmax(1)
    c, n = V.mixval_batch(predict, x, pseudo)  # 0.55 * 1 - 0.45 * 1 > 0: all kept
    assert (int(c), int(n)) == (4, 4)
    x = torch.tensor([[1.0], [-10.0]])  # 0.55 - 4.5 < 0: the mixture flips; -5.5 + 0.45 < 0
    c, n = V.mixval_batch(predict, x, predict(x).argmax(1))
    assert (int(c), int(n)) == (1, 2) and V.mixval(c, n) == 0.5
    x = torch.tensor([[1.0], [2.0], [3.0]])  # one pseudo-label: no inter-cluster pair
    c, n = V.mixval_batch(predict, x, predict(x).argmax(1))
    assert int(n) == 0 and V.mixval(c, n) == 0.0


def test_module_logs_the_new_validators_and_they_can_select(make_cfg):
    from da.train import run

    r = run(make_cfg("method=source_only", "trainer.max_steps=20", "selection=iwv"))
    assert r["selection"]["monitor"] == "val/select/iwv"
    for name in ("iwv", "reverse", "mixval"):
        assert all(f"val/select/{name}" in h for h in r["history"]), name
        assert r["validators"][name]["monitor"] == f"val/select/{name}"
    best = min(r["history"], key=lambda h: h["val/select/iwv"])
    assert r["selection"]["best_step"] == best["step"]
    assert all(0.0 <= h["val/select/reverse"] <= 1.0 and 0.0 <= h["val/select/mixval"] <= 1.0
               for h in r["history"])
    assert np.isfinite([h["val/select/iwv"] for h in r["history"]]).all()
