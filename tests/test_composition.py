"""Stacking plugins from the command line: `method=dann +method@method.extras.mmd=mmd`."""

from __future__ import annotations

import json

import torch

from da.build import build_family, build_module
from da.losses.base import LossInputs
from tests.conftest import run_cli


def test_extra_terms_join_the_method_with_their_own_weight(make_cfg):
    cfg = make_cfg("method=dann", "+method@method.extras.mmd=mmd", "method.extras.mmd.weight=0.3")
    module = build_module(cfg, build_family(cfg))
    assert list(module.terms) == ["dann", "mmd"]
    assert module.terms["mmd"].weight == 0.3
    g = torch.Generator().manual_seed(0)
    f = torch.randn(16, module.net.feature_dim, generator=g, requires_grad=True)
    logits = torch.randn(16, 10, generator=g)
    inputs = LossInputs(f[:8], f[8:] + 1, logits[:8], logits[8:], torch.arange(8), 0.5)
    for name, term in module.terms.items():
        out = term.loss(inputs)
        assert torch.isfinite(out.loss), name


def test_composed_method_runs_and_is_named_after_its_parts(tmp_path):
    proc = run_cli(["debug=fast", "trainer.max_steps=6", "trainer.val_check_interval=3",
                    "method=dann", "+method@method.extras.mmd=mmd", f"paths.log_dir={tmp_path}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = tmp_path.glob("train/runs/*_dann+mmd_*/results.json")
    results = json.loads(path.read_text())
    assert results["method"] == "dann+mmd" and results["status"] == "ok"
    metrics = (path.parent / "csv" / "metrics.csv").read_text().splitlines()[0]
    assert "train/dann/loss" in metrics and "train/mmd/loss" in metrics
