"""``init_from`` (start from a checkpoint or state dict) and per-sample source weights."""

from __future__ import annotations

import pytest
import torch

from da.build import build_family, build_module
from da.errors import DAError
from da.losses.base import DALoss, LossOutput
from da.module import LossTerm
from da.nets.pretrained import load_weights


def test_init_from_a_state_dict_copies_every_weight(make_cfg, tmp_path):
    cfg = make_cfg("seed=1")
    family = build_family(cfg)
    src = build_module(cfg, family).net
    path = tmp_path / "net.pt"
    torch.save(src.state_dict(), path)
    torch.manual_seed(123)
    cfg2 = make_cfg(f"init_from={path}")
    dst = build_module(cfg2, family).net
    for (k, a), b in zip(src.state_dict().items(), dst.state_dict().values(), strict=True):
        assert torch.equal(a, b), k


def test_init_from_a_lightning_checkpoint_strips_the_net_prefix(make_cfg, tmp_path):
    cfg = make_cfg()
    family = build_family(cfg)
    module = build_module(cfg, family)
    path = tmp_path / "x.ckpt"
    torch.save({"state_dict": module.state_dict(), "epoch": 0}, path)
    other = build_module(make_cfg("seed=5"), family).net
    assert load_weights(other, path) == []
    assert torch.equal(other.classifier.weight, module.net.classifier.weight)


def test_a_classifier_of_another_class_count_becomes_a_new_head(make_cfg, tmp_path):
    cfg = make_cfg()
    family = build_family(cfg)
    net = build_module(cfg, family).net
    state = net.state_dict()
    state["classifier.weight"] = torch.zeros(5, net.feature_dim)
    state["classifier.bias"] = torch.zeros(5)
    path = tmp_path / "five.pt"
    torch.save(state, path)
    fresh = load_weights(net, path)
    assert fresh == ["classifier.weight", "classifier.bias"]
    assert net.classifier.out_features == family.num_classes
    assert net.classifier.weight.abs().sum() > 0  # kept its own init, not the zeros


@pytest.mark.parametrize("bad", ["missing", "corrupt", "other_backbone"])
def test_bad_init_from_is_a_one_line_error(make_cfg, tmp_path, bad):
    cfg = make_cfg()
    family = build_family(cfg)
    net = build_module(cfg, family).net
    path = tmp_path / "w.pt"
    if bad == "corrupt":
        path.write_bytes(b"not a checkpoint")
    elif bad == "other_backbone":
        torch.save({"backbone.unknown.weight": torch.zeros(2)}, path)
    with pytest.raises(DAError) as err:
        load_weights(net, path)
    assert "\n" not in str(err.value) and "init_from" in str(err.value)


class _HalfWeights(DALoss):
    needs_target = False

    def forward(self, inputs):
        w = torch.zeros(len(inputs.y_s))
        w[: len(w) // 2] = 2.0
        return LossOutput(self.zero(inputs.logits_s), source_weights=w)


def test_source_weights_reweight_the_classification_loss(make_cfg):
    cfg = make_cfg("method=source_only", "validators=[]")
    family = build_family(cfg)
    module = build_module(cfg, family)
    module.terms = {"iw": LossTerm(_HalfWeights(8, family.num_classes))}
    module.log = lambda *a, **k: None
    module.eval()  # no dropout/BN updates: the two forwards agree
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, *family.input_shape, generator=g)
    y = torch.randint(0, family.num_classes, (8,), generator=g)
    total = module.training_step({"source": (x, y)}, 0)
    per = torch.nn.functional.cross_entropy(module(x), y, reduction="none")
    assert torch.allclose(total, per[:4].sum() * 2 / 8, atol=1e-6)
