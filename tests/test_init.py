"""model.init: PyTorch's defaults, or TensorFlow's truncated normal for the network and the
method's own modules (DANN's discriminator)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from da.build import build_family, build_module
from da.errors import DAError
from da.nets.init import initialise


def test_trunc_normal_draws_within_two_std_with_constant_biases():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 64, 5), nn.ReLU(), nn.Flatten(), nn.Linear(400, 300),
                        nn.BatchNorm1d(300))
    bn = net[4].weight.clone()
    assert initialise([net], "trunc_normal", std=0.1, bias=0.1) == 2
    for layer in (net[0], net[3]):
        w = layer.weight.flatten()
        assert w.abs().max() <= 0.2 + 1e-7
        # a normal truncated at 2 std keeps 0.880 of its deviation
        assert w.std().item() == pytest.approx(0.1 * 0.880, rel=0.05)
        assert torch.equal(layer.bias, torch.full_like(layer.bias, 0.1))
    assert torch.equal(net[4].weight, bn)  # only conv / linear layers


def test_torch_scheme_changes_nothing_and_unknown_is_one_line_error():
    net = nn.Linear(4, 3)
    before = [p.clone() for p in net.parameters()]
    assert initialise([net], "torch") == 0
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    with pytest.raises(DAError, match="model.init='xavier' is unknown; choose from torch") as e:
        initialise([net], "xavier")
    assert "\n" not in str(e.value)


def test_model_init_reaches_the_network_and_the_discriminator(make_cfg):
    cfg = make_cfg("method=dann", "model.init=trunc_normal", "model.init_bias=0.05")
    module = build_module(cfg, build_family(cfg))
    mods = [*module.net.modules(), *(m for t in module.terms.values() for m in t.loss.modules())]
    linears = [m for m in mods if isinstance(m, nn.Linear)]
    assert len(linears) >= 4  # bottleneck, classifier and the discriminator's layers
    for m in linears:
        assert torch.equal(m.bias, torch.full_like(m.bias, 0.05))
    default = build_module(make_cfg("method=dann"), build_family(cfg))
    assert not torch.equal(default.net.classifier.bias,
                           torch.full_like(default.net.classifier.bias, 0.05))


def test_normal_scheme_is_untruncated():
    torch.manual_seed(0)
    net = nn.Linear(1000, 1000)
    assert initialise([net], "normal", std=0.01, bias=0.1) == 1
    assert net.weight.std().item() == pytest.approx(0.01, rel=0.02)
    assert net.weight.abs().max().item() > 0.02 * 2  # beyond trunc_normal's 2 std
    assert torch.equal(net.bias, torch.full_like(net.bias, 0.1))


def test_init_parts_set_each_part_and_leave_the_others(make_cfg):
    # TLlib MDD: bottleneck normal(0, 0.005) bias 0.1, heads normal(0, 0.01) bias 0
    args = ("method=mdd", "model.head_hidden=[64]",
            "model.init_parts={bottleneck:{init:normal,std:0.005,bias:0.1},terms:{std:0.01,bias:0.0}}")
    cfg = make_cfg(*args)
    module = build_module(cfg, build_family(cfg))
    plain = build_module(make_cfg("method=mdd", "model.head_hidden=[64]"), build_family(cfg))
    lin = module.net.bottleneck[0]
    assert torch.equal(lin.bias, torch.full_like(lin.bias, 0.1))
    assert lin.weight.std().item() == pytest.approx(0.005, rel=0.1)
    adv = [m for t in module.terms.values() for m in t.loss.modules() if isinstance(m, nn.Linear)]
    assert len(adv) == 2
    for m in adv:
        assert torch.equal(m.bias, torch.zeros_like(m.bias))
    # the classifier was not named: PyTorch's default (uniform, bias not constant)
    assert module.net.classifier[0].bias.std().item() > 0
    assert plain.net.bottleneck[0].weight.std().item() > 0.01


@pytest.mark.parametrize("parts, message", [
    ("{head:{std:0.01}}", "model.init_parts.head is unknown; parts are backbone, bottleneck"),
    ("{classifier:{init:xavier}}", "model.init_parts.classifier.init='xavier' is unknown"),
    ("{classifier:{stdev:0.1}}", "model.init_parts.classifier.stdev is unknown; use init"),
    ("{classifier:{std:abc}}", "model.init_parts.classifier: std and bias must be numbers"),
    ("{classifier:0.1}", "model.init_parts.classifier must be a mapping"),
])
def test_bad_init_parts_are_one_line_errors(make_cfg, parts, message):
    cfg = make_cfg("method=mdd", f"model.init_parts={parts}")
    with pytest.raises(DAError, match=message) as e:
        build_module(cfg, build_family(cfg))
    assert "\n" not in str(e.value)


def test_a_torch_part_redraws_pytorch_defaults_under_a_whole_network_init(make_cfg):
    cfg = make_cfg("method=dann", "model.init=trunc_normal", "model.init_bias=0.05",
                   "model.init_parts={classifier:{init:torch}}")
    module = build_module(cfg, build_family(cfg))
    head = module.net.classifier
    assert not torch.equal(head.bias, torch.full_like(head.bias, 0.05))  # redrawn
    bottleneck = module.net.bottleneck[0]
    assert torch.equal(bottleneck.bias, torch.full_like(bottleneck.bias, 0.05))  # untouched
