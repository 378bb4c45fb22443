"""SHOT: source-free (needs init_from, ignores source batches), frozen hypothesis,
SHOT's centroid pseudo-labels."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from da.build import build_family, build_module
from da.errors import DAError
from da.nets.pretrained import read_state_dict
from da.systems.shot import cluster_centroids, nearest_centroid
from da.train import run
from tests.conftest import method_overrides


def test_shot_without_a_source_model_is_a_one_line_error(make_cfg):
    cfg = make_cfg("method=shot")
    with pytest.raises(DAError, match="init_from=<its checkpoint>") as err:
        build_module(cfg, build_family(cfg))
    assert "\n" not in str(err.value)


def test_centroid_pseudo_labels_match_a_hand_computation():
    # two tight clusters; soft predictions half wrong on cluster B, right on cluster A
    f = torch.tensor([[5.0, 0.1], [5.0, -0.1], [0.1, 5.0], [-0.1, 5.0]])
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    # reference: augment with 1, L2-normalise, weighted means, cosine, one hard refinement
    fa = F.normalize(torch.cat([f, torch.ones(4, 1)], 1), dim=1)
    c = (probs.T @ fa) / probs.sum(0)[:, None]
    lab = (fa @ F.normalize(c, dim=1).T).argmax(1)
    onehot = F.one_hot(lab, 2).float()
    c = (onehot.T @ fa) / onehot.sum(0)[:, None]
    expected = (fa @ F.normalize(c, dim=1).T).argmax(1)
    got = nearest_centroid(f, cluster_centroids(f, probs))
    assert got.tolist() == expected.tolist() == [0, 0, 1, 1]


def test_source_batches_are_ignored_and_the_classifier_is_frozen(make_cfg, tmp_path):
    cfg = make_cfg("method=shot", *method_overrides("shot", tmp_path))
    module = build_module(cfg, build_family(cfg))
    assert not any(p.requires_grad for p in module.net.classifier.parameters())
    module.log = lambda *a, **k: None
    module.eval()
    g = torch.Generator().manual_seed(0)
    x_t = torch.randn(8, 1, 16, 16, generator=g)
    pool_f, pool_logits = module.net(torch.randn(32, 1, 16, 16, generator=g))
    module.centroids = cluster_centroids(pool_f.detach(), pool_logits.detach().softmax(-1))
    module.pseudo_interval = 10**9
    module._trainer = None
    type(module).global_step = property(lambda self: 1)  # no Trainer: not a refresh step
    try:
        a = module.training_step({"source": (torch.zeros(8, 1, 16, 16), torch.zeros(8).long()),
                                  "target": (x_t,)}, 0)
        b = module.training_step({"source": (torch.randn(8, 1, 16, 16), torch.ones(8).long()),
                                  "target": (x_t,)}, 0)
    finally:
        del type(module).global_step
    assert torch.equal(a, b)


def test_shot_trains_from_a_source_model_and_keeps_its_hypothesis(make_cfg, tmp_path):
    overrides = method_overrides("shot", tmp_path)
    start = read_state_dict(overrides[0].split("=", 1)[1])
    cfg = make_cfg("method=shot", *overrides, "trainer.max_steps=6", "trainer.val_check_interval=3",
                   "method.system.pseudo_interval=3")
    assert run(cfg)["status"] == "ok"
    end = read_state_dict(tmp_path / "checkpoints" / "last.ckpt")
    assert torch.equal(start["classifier.weight"], end["classifier.weight"])
    assert not torch.equal(start["bottleneck.0.weight"], end["bottleneck.0.weight"])
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["shot_centroids"].shape == (10, start["classifier.weight"].shape[1] + 1)
