import math

import pytest
import torch

from da.errors import DAError
from da.losses.mmd import MMDLoss, gaussian_kernel_bandwidths, mmd2_linear, mmd2_quadratic
from tests.losses.helpers import make_inputs


def test_quadratic_matches_hand_computed_value():
    # x = {0, 1}, y = {2, 4} on a line, one kernel exp(-d^2 / 1)
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[2.0], [4.0]])
    bw = torch.tensor([1.0])
    kxx = math.exp(-1)  # off-diagonal pair (0,1)
    kyy = math.exp(-4)
    kxy = (math.exp(-4) + math.exp(-16) + math.exp(-1) + math.exp(-9)) / 4
    expected = kxx + kyy - 2 * kxy
    assert mmd2_quadratic(x, y, bw).item() == pytest.approx(expected, rel=1e-6)


def test_linear_matches_hand_computed_value():
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[2.0], [4.0]])
    bw = torch.tensor([1.0, 2.0])

    def k(a, b):
        return math.exp(-((a - b) ** 2)) + math.exp(-((a - b) ** 2) / 2)

    expected = k(0, 1) + k(2, 4) - k(0, 4) - k(1, 2)
    assert mmd2_linear(x, y, bw).item() == pytest.approx(expected, rel=1e-6)


def test_bandwidths_relative_to_mean_pairwise_distance():
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[3.0], [4.0]])
    # squared distances of the 4 points, off-diagonal mean
    pts = [0.0, 1.0, 3.0, 4.0]
    d2 = [(a - b) ** 2 for i, a in enumerate(pts) for j, b in enumerate(pts) if i != j]
    base = sum(d2) / len(d2)
    bw = gaussian_kernel_bandwidths(x, y, kernel_mul=2.0, num_kernels=3)
    assert torch.allclose(bw, torch.tensor([base / 2, base, base * 2]))


@pytest.mark.parametrize("estimator", ["quadratic", "linear"])
def test_near_zero_for_same_distribution_and_grows_with_shift(estimator):
    g = torch.Generator().manual_seed(0)
    loss = MMDLoss(8, 3, estimator=estimator)
    n = 512 if estimator == "quadratic" else 8192  # the linear estimator needs more pairs
    x = torch.randn(n, 8, generator=g)
    values = []
    for shift in (0.0, 0.5, 1.0, 2.0):
        y = torch.randn(n, 8, generator=g) + shift
        values.append(loss(make_inputs(x, y)).loss.item())
    assert abs(values[0]) < 0.02
    assert values[1] > values[0] + 0.02
    assert values == sorted(values)


def test_linear_and_quadratic_agree_on_average():
    g = torch.Generator().manual_seed(1)
    bw = torch.tensor([2.0, 4.0, 8.0])
    quad, lin = [], []
    for _ in range(300):
        x = torch.randn(32, 4, generator=g)
        y = torch.randn(32, 4, generator=g) + 0.5
        quad.append(mmd2_quadratic(x, y, bw).item())
        lin.append(mmd2_linear(x, y, bw).item())
    q, l_ = torch.tensor(quad), torch.tensor(lin)
    # the linear estimator has a larger variance; compare means within 4 standard errors
    se = math.sqrt(q.var().item() / len(q) + l_.var().item() / len(l_))
    assert abs(q.mean().item() - l_.mean().item()) < 4 * se
    assert q.mean().item() > 0.1  # the shift is visible to both


def test_unknown_estimator_is_rejected():
    with pytest.raises(DAError, match="unknown MMD estimator"):
        MMDLoss(4, 2, estimator="cubic")


def test_gradient_pulls_domains_together():
    g = torch.Generator().manual_seed(2)
    inp = make_inputs(torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g) + 3.0,
                      requires_grad=True)
    MMDLoss(2, 3).forward(inp).loss.backward()
    # descending the gradient moves target features toward the source (toward -x)
    assert inp.f_t.grad[:, 0].mean() > 0
    assert inp.f_s.grad[:, 0].mean() < 0
