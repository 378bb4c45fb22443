"""Knowledge distillation: the KL value, a frozen teacher, zero loss for an identical student."""

from __future__ import annotations

import math

import pytest
import torch

from da.build import build_family, build_module
from da.errors import DAError
from da.losses.base import LossInputs
from da.losses.kd import distillation
from tests.conftest import method_overrides


def test_kl_matches_hand_computation():
    s, t, temp = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 2.0]]), 2.0

    def sm(row):
        e = [math.exp(v / temp) for v in row]
        return [v / sum(e) for v in e]

    ps, pt = sm([1.0, 0.0]), sm([0.0, 2.0])
    ref = temp**2 * sum(b * math.log(b / a) for a, b in zip(ps, pt, strict=True))
    assert math.isclose(distillation(s, t, temp).item(), ref, rel_tol=1e-6)
    assert distillation(t, t, temp).abs().item() < 1e-7


def _module(make_cfg, tmp_path, *overrides):
    cfg = make_cfg("method=kd", *method_overrides("kd", tmp_path), *overrides)
    return build_module(cfg, build_family(cfg)), cfg


def test_identical_student_has_zero_loss_and_the_teacher_stays_frozen(make_cfg, tmp_path):
    module, cfg = _module(make_cfg, tmp_path)
    teacher_state = torch.load(tmp_path / "source_model.pt")
    module.net.load_state_dict(teacher_state)  # the student starts as the teacher
    module.eval()
    x = torch.randn(6, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    f, logits = module.net(x)
    term = module.terms["kd"]
    out = term.loss(LossInputs(f, f, logits, logits, torch.zeros(6).long(), 0.5, x_s=x, x_t=x))
    assert out.loss.abs().item() < 1e-6
    # a training step moves the student, never the teacher; the teacher is not a submodule
    module.train()
    opt = torch.optim.SGD([p for p in module.parameters() if p.requires_grad], lr=0.5)
    x2 = x + 1
    f, logits = module.net(x2)
    out = term.loss(LossInputs(f, f, logits, logits, torch.zeros(6).long(), 0.5, x_s=x2, x_t=x2))
    opt.zero_grad()
    (out.loss + logits.sum() * 0.01).backward()
    opt.step()
    teacher = term.loss._teacher[0]
    for k, v in teacher.state_dict().items():
        assert torch.equal(v, teacher_state[k]), k
    assert not any(k.startswith("losses.kd._teacher") for k in module.state_dict())


def test_hard_distillation_is_cross_entropy_to_the_teacher_networks_class(make_cfg, tmp_path):
    module, _ = _module(make_cfg, tmp_path, "method.loss.hard=true")
    x = torch.randn(6, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    logits = torch.randn(6, module.terms["kd"].loss.num_classes,
                         generator=torch.Generator().manual_seed(1))
    f = torch.zeros(6, 4)
    term = module.terms["kd"].loss
    out = term(LossInputs(f, f, logits, logits, torch.zeros(6).long(), 0.5, x_s=x, x_t=x))
    with torch.no_grad():
        labels = term._teacher[0](x)[1].argmax(1)
    assert out.loss.item() == pytest.approx(torch.nn.functional.cross_entropy(logits, labels).item(),
                                            rel=1e-6)
    assert "ce" in out.logs and "kl" not in out.logs


def test_missing_teacher_is_a_one_line_error(make_cfg):
    cfg = make_cfg("method=kd")
    with pytest.raises(DAError, match="set method.loss.teacher_path") as err:
        build_module(cfg, build_family(cfg))
    assert "\n" not in str(err.value)


def test_distillation_is_finite_in_bf16_and_for_extreme_logits():
    s = torch.tensor([[80.0, -80.0], [0.0, 0.0]], requires_grad=True)
    t = torch.tensor([[-80.0, 80.0], [0.0, 0.0]])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = distillation(s, t, 4.0)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(s.grad).all()
