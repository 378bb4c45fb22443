"""MCD: which step moves what, the discrepancy, and iterations = global steps."""

from __future__ import annotations

import json

import torch

from da.build import build_family, build_module
from da.systems.mcd import discrepancy
from da.train import run


class _Opt:
    """The two things MCD uses of Lightning's optimizer wrapper."""

    def __init__(self, opt):
        self.optimizer = opt

    def step(self):
        self.optimizer.step()

    def zero_grad(self):
        self.optimizer.zero_grad()


def _setup(make_cfg):
    cfg = make_cfg("method=mcd", "optim.lr_anneal=null")
    module = build_module(cfg, build_family(cfg))
    module.manual_backward = lambda loss: loss.backward()
    gen = [*module.net.backbone.parameters(), *module.net.bottleneck.parameters()]
    cls = [*module.net.classifier.parameters(), *module.classifier2.parameters()]
    opts = _Opt(torch.optim.SGD(gen, lr=0.1)), _Opt(torch.optim.SGD(cls, lr=0.1))
    g = torch.Generator().manual_seed(0)
    x_s, x_t = torch.randn(16, 1, 16, 16, generator=g), torch.randn(16, 1, 16, 16, generator=g) + 1
    y_s = torch.randint(0, 10, (16,), generator=g)
    return module, gen, cls, opts, (x_s, y_s, x_t)


def _snap(params):
    return [p.detach().clone() for p in params]


def _same(a, params):
    return all(torch.equal(x, p) for x, p in zip(a, params, strict=True))


def test_discrepancy_is_mean_absolute_softmax_gap():
    a = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    b = torch.tensor([[0.0, 0.0], [0.0, 2.0]])
    s = torch.sigmoid(torch.tensor(2.0))
    assert torch.isclose(discrepancy(a, b), (2 * (2 * s - 1)) / 4)
    assert discrepancy(a, a) == 0


def test_step_b_moves_only_the_classifiers_and_raises_their_disagreement(make_cfg):
    module, gen, cls, (opt_g, opt_c), (x_s, y_s, x_t) = _setup(make_cfg)
    module.eval()  # no BatchNorm statistics updates, so "unchanged" means the weights
    g0, c0 = _snap(gen), _snap(cls)
    d0 = module.step_b(opt_c, x_s, y_s, x_t)
    assert _same(g0, gen) and not _same(c0, cls)
    d1 = module.step_b(opt_c, x_s, y_s, x_t)
    assert d1 > d0


def test_step_c_moves_only_the_generator_and_lowers_the_disagreement(make_cfg):
    module, gen, cls, (opt_g, opt_c), (x_s, y_s, x_t) = _setup(make_cfg)
    module.eval()
    for _ in range(3):
        module.step_b(opt_c, x_s, y_s, x_t)  # create disagreement first
    g0, c0 = _snap(gen), _snap(cls)
    f_t = module._generator(x_t)
    before = discrepancy(module.net.classifier(f_t), module.classifier2(f_t))
    after = module.step_c(opt_g, opt_c, x_t)
    assert _same(c0, cls) and not _same(g0, gen)
    f_t = module._generator(x_t)
    assert discrepancy(module.net.classifier(f_t), module.classifier2(f_t)) < before
    assert after <= before


def test_step_a_moves_everything(make_cfg):
    module, gen, cls, (opt_g, opt_c), (x_s, y_s, _) = _setup(make_cfg)
    g0, c0 = _snap(gen), _snap(cls)
    module.step_a(opt_g, opt_c, x_s, y_s)
    assert not _same(g0, gen) and not _same(c0, cls)


def test_iterations_are_global_steps_and_lr_anneals(make_cfg, tmp_path):
    cfg = make_cfg("method=mcd", "trainer.max_steps=8", "trainer.val_check_interval=4")
    results = run(cfg)
    assert results["status"] == "ok" and results["steps"] == 8
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    # last.ckpt is written with the best one (Lightning), so at step 4 or 8
    assert ckpt["global_step"] in (4, 8) and len(ckpt["optimizer_states"]) == 2
    assert all(s["last_epoch"] == ckpt["global_step"] for s in ckpt["lr_schedulers"])
    assert json.loads((tmp_path / "results.json").read_text())["method"] == "mcd"
