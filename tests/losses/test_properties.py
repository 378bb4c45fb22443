"""Property tests over every method in conf/method: any batch size the loss accepts,
feature width, float32 or bfloat16 autocast, single-class batches and identical domains
give a finite scalar loss and finite gradients."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from da.build import build_terms
from da.config import CONF_DIR
from da.losses.base import LossInputs
from tests.conftest import has_loss_term, method_spec

# every method with a loss plugin on features/logits (systems without one are tested in
# tests/systems; losses that need a teacher network run on raw inputs: tests/losses/test_kd.py)
METHODS = sorted(p.stem for p in (Path(CONF_DIR) / "method").glob("*.yaml")
                 if has_loss_term(p.stem) and "teacher" not in (method_spec(p.stem).get("needs") or []))


def _method_cfg(name: str):
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        return compose("train", overrides=[f"method={name}"]).method


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_loss_is_finite_with_finite_gradients(method, data):
    cfg = _method_cfg(method)
    dim = data.draw(st.integers(2, 33), label="feature_dim")
    k = data.draw(st.integers(2, 12), label="num_classes")
    terms = build_terms(cfg, dim, k)
    lo = max(t.loss.min_batch_size for t in terms.values())
    b_s = data.draw(st.integers(lo, 24), label="b_s")
    b_t = data.draw(st.integers(lo, 24), label="b_t")
    dtype = data.draw(st.sampled_from([torch.float32, torch.bfloat16]), label="dtype")
    identical = data.draw(st.booleans(), label="identical_domains")
    single_class = data.draw(st.booleans(), label="single_class")
    scale = data.draw(st.sampled_from([1e-3, 1.0, 30.0]), label="scale")
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2**16), label="seed"))
    f_s = scale * torch.randn(b_s, dim, generator=g)
    f_t = f_s[:b_t].clone() if identical and b_t <= b_s else scale * torch.randn(b_t, dim, generator=g)
    logits_s, logits_t = torch.randn(b_s, k, generator=g), torch.randn(b_t, k, generator=g)
    y_s = torch.zeros(b_s, dtype=torch.long) if single_class else torch.randint(0, k, (b_s,), generator=g)
    leaves = [t.requires_grad_(True) for t in (f_s, f_t, logits_s, logits_t)]
    progress = data.draw(st.floats(0.0, 1.0), label="progress")
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype is torch.bfloat16):
        inputs = LossInputs(f_s, f_t, logits_s, logits_t, y_s, progress)
        outs = {name: t.loss(inputs) for name, t in terms.items()}
        total = sum(t.coefficient(progress) * outs[n].loss for n, t in terms.items())
    for name, out in outs.items():
        assert out.loss.dim() == 0, f"{name}: loss must be a scalar"
        assert torch.isfinite(out.loss.float()), f"{name}: loss {out.loss}"
        for key, value in out.logs.items():
            assert torch.isfinite(torch.as_tensor(value, dtype=torch.float32)), f"{name}/{key}"
    if torch.is_tensor(total) and total.requires_grad:
        total.backward()
        params = [p for t in terms.values() for p in t.loss.parameters()]
        for tensor in leaves + params:
            if tensor.grad is not None:
                assert torch.isfinite(tensor.grad.float()).all(), f"{method}: non-finite gradient"
