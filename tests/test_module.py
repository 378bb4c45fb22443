"""DAModule wiring: parameter groups, progress, and gradients from every adaptation term."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from da.build import build_family, build_module
from da.config import CONF_DIR
from tests.conftest import has_loss_term, method_overrides

# methods with a loss plugin (systems such as mcd/shot have their own tests in tests/systems)
ADAPTIVE = sorted(p.stem for p in (Path(CONF_DIR) / "method").glob("*.yaml")
                  if p.stem != "source_only" and has_loss_term(p.stem))


def _batch(family, n=8):
    g = torch.Generator().manual_seed(0)
    x_s = torch.randn(n, *family.input_shape, generator=g)
    x_t = torch.randn(n, *family.input_shape, generator=g) + 1.0
    y_s = torch.randint(0, family.num_classes, (n,), generator=g)
    return {"source": (x_s, y_s), "target": (x_t,)}


@pytest.mark.parametrize("method", ADAPTIVE)
def test_adaptation_term_sends_gradient_to_the_backbone(method, make_cfg, tmp_path):
    """Guards against the silent failure where the adaptation loss stops training anything."""
    cfg = make_cfg(f"method={method}", *method_overrides(method, tmp_path))
    family = build_family(cfg)
    module = build_module(cfg, family)
    module.planned_steps = 10
    module.log = lambda *a, **k: None  # no Trainer attached
    module.train()
    batch = _batch(family)
    x_s, y_s = batch["source"]
    (x_t,) = batch["target"]
    f, logits = module.net(torch.cat([x_s, x_t]))
    from da.losses.base import LossInputs

    inputs = LossInputs(f[:8], f[8:], logits[:8], logits[8:], y_s, progress=0.5,
                        x_s=x_s, x_t=x_t)
    term = module.terms[method]
    out = term.loss(inputs)
    if getattr(term.loss, "reweights_source", False):  # instance weighting: the weights are its effect
        assert out.source_weights is not None and out.source_weights.std() > 0
        return
    (term.coefficient(0.5) * out.loss).backward()
    grads = [p.grad for p in module.net.backbone.parameters() if p.grad is not None]
    assert grads, f"{method}: no gradient reached the backbone"
    assert sum(g.abs().sum() for g in grads) > 0, f"{method}: zero gradient on the backbone"


def test_source_only_never_forwards_target(make_cfg):
    cfg = make_cfg("method=source_only")
    module = build_module(cfg, build_family(cfg))
    assert module.needs_target is False


def test_backbone_learning_rate_multiplier(make_cfg):
    cfg = make_cfg("method=dann", "optim.backbone_lr_mult=0.1", "optim.lr_anneal=null")
    module = build_module(cfg, build_family(cfg))

    class _T:  # the one Trainer attribute configure_optimizers reads
        estimated_stepping_batches = 100

    module.trainer = _T()  # type: ignore[assignment]
    opt = module.configure_optimizers()["optimizer"]
    lrs = [g["lr"] for g in opt.param_groups]
    assert lrs == pytest.approx([0.001, 0.01])
    backbone_ids = {id(p) for p in module.net.backbone.parameters()}
    assert {id(p) for p in opt.param_groups[0]["params"]} == backbone_ids
    # the discriminator trains with the head group
    disc = {id(p) for p in module.losses["dann"].parameters()}
    assert disc <= {id(p) for p in opt.param_groups[1]["params"]}
    assert module.planned_steps == 100
