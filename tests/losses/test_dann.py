import pytest
import torch

from da.losses.dann import DANNLoss
from da.nets.grl import reverse_gradient
from da.schedules import DannWarmStart
from tests.losses.helpers import make_inputs


def test_grl_is_identity_forward():
    x = torch.randn(5, 3)
    assert torch.equal(reverse_gradient(x, 0.7), x)


@pytest.mark.parametrize("coeff", [0.0, 0.3, 1.0, 2.5])
def test_grl_gradient_is_minus_coeff_times_normal(coeff):
    x = torch.randn(6, 4, requires_grad=True)
    w = torch.randn(4, 2)
    (x @ w).pow(2).sum().backward()
    normal = x.grad.clone()
    x.grad = None
    (reverse_gradient(x, coeff) @ w).pow(2).sum().backward()
    assert torch.allclose(x.grad, -coeff * normal)


def test_warm_start_schedule():
    s = DannWarmStart(gamma=10.0)
    assert s(0.0) == 0.0
    assert s(1.0) == pytest.approx(2 / (1 + torch.exp(torch.tensor(-10.0)).item()) - 1)
    assert s(0.1) < s(0.5) < s(1.0) < 1.0


def test_discriminator_learns_to_separate_separable_domains():
    torch.manual_seed(0)
    loss = DANNLoss(feature_dim=2, num_classes=3, hidden=32, batch_norm=False, dropout=0.0)
    opt = torch.optim.Adam(loss.parameters(), lr=1e-2)
    f_s = torch.randn(128, 2) + torch.tensor([3.0, 0.0])
    f_t = torch.randn(128, 2) - torch.tensor([3.0, 0.0])
    first = None
    for _ in range(200):
        out = loss(make_inputs(f_s, f_t, progress=1.0))
        first = first if first is not None else out.loss.item()
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    assert out.logs["disc_acc"] > 0.97
    assert out.loss.item() < 0.25 * first


def test_gradient_reaching_features_is_reversed():
    torch.manual_seed(0)
    loss = DANNLoss(feature_dim=3, num_classes=2, hidden=16, batch_norm=False)
    loss.eval()  # no dropout: the two passes must see the same network
    f_s, f_t = torch.randn(8, 3), torch.randn(8, 3)
    p = 0.4
    coeff = DannWarmStart()(p)
    inp = make_inputs(f_s, f_t, progress=p, requires_grad=True)
    loss(inp).loss.backward()
    # the plain gradient of the same BCE, without reversal
    f = torch.cat([f_s, f_t]).requires_grad_(True)
    labels = torch.cat([torch.ones(8), torch.zeros(8)])
    torch.nn.functional.binary_cross_entropy_with_logits(loss.discriminator(f), labels).backward()
    assert torch.allclose(inp.f_s.grad, -coeff * f.grad[:8], atol=1e-6)
    assert torch.allclose(inp.f_t.grad, -coeff * f.grad[8:], atol=1e-6)
    # the discriminator's own parameters get the normal (unreversed) gradient
    assert all(prm.grad is not None for prm in loss.discriminator.parameters())


def test_logs_discriminator_accuracy_and_coefficient():
    loss = DANNLoss(4, 2)
    out = loss(make_inputs(torch.randn(4, 4), torch.randn(4, 4), progress=0.5))
    assert 0.0 <= float(out.logs["disc_acc"]) <= 1.0
    assert out.logs["grl_coeff"] == pytest.approx(DannWarmStart()(0.5))
