"""Transfer-learning strategies: finetune=frozen|partial|full, a new head for a new label
space (data.classes), and semi-supervised DA (data.target_labels_per_class)."""

from __future__ import annotations

import pytest
import torch

from da.build import build_datamodule, build_family, build_module
from da.errors import DAError
from da.nets.finetune import backbone_blocks
from da.nets.pretrained import read_state_dict
from da.train import run


def _start(make_cfg, tmp_path, *overrides):
    """A saved initial network, so the run's end state can be compared with its start."""
    cfg = make_cfg(*overrides)
    net = build_module(cfg, build_family(cfg)).net
    path = tmp_path / "start.pt"
    torch.save(net.state_dict(), path)
    return path, net.state_dict()


def _trained(make_cfg, tmp_path, *overrides):
    path, start = _start(make_cfg, tmp_path, *overrides)
    result = run(make_cfg(*overrides, f"init_from={path}", "trainer.max_steps=6",
                          "trainer.val_check_interval=3"))
    assert result["status"] == "ok"
    end = read_state_dict(tmp_path / "checkpoints" / "last.ckpt")
    changed = {k for k in start if not torch.equal(start[k], end[k])}
    return start, changed


def test_frozen_backbone_keeps_weights_and_batchnorm_statistics(make_cfg, tmp_path):
    start, changed = _trained(make_cfg, tmp_path, "finetune=frozen")
    backbone = {k for k in start if k.startswith("backbone.")}
    assert any("running_mean" in k for k in backbone)  # small_cnn has BatchNorm: a real check
    assert not changed & backbone, f"frozen backbone changed: {sorted(changed & backbone)}"
    assert {"classifier.weight", "bottleneck.0.weight"} <= changed


def test_partial_trains_only_the_last_blocks(make_cfg, tmp_path):
    cfg = make_cfg()
    blocks = backbone_blocks(build_module(cfg, build_family(cfg)).net.backbone)
    assert len(blocks) == 3  # small_cnn: conv+BN, conv+BN, dense
    start, changed = _trained(make_cfg, tmp_path, "finetune=partial", "finetune.blocks=2")
    first_conv = {k for k in start if k.startswith(("backbone.conv.0.", "backbone.conv.1."))}
    assert first_conv, sorted(start)[:8]
    assert not changed & first_conv
    later = {k for k in changed if k.startswith("backbone.")}
    assert later and not later & first_conv


def test_full_changes_every_trainable_weight(make_cfg, tmp_path):
    start, changed = _trained(make_cfg, tmp_path, "finetune=full")
    weights = {k for k in start if k.endswith("weight")}
    assert weights <= changed


@pytest.mark.parametrize("freeze_bn", [True, False])
def test_freeze_bn_keeps_pretrained_statistics_while_everything_trains(make_cfg, tmp_path,
                                                                      freeze_bn):
    start, changed = _trained(make_cfg, tmp_path, "finetune=full", f"finetune.freeze_bn={freeze_bn}")
    stats = {k for k in start if k.startswith("backbone.") and k.endswith(("_mean", "_var"))}
    assert stats  # small_cnn has BatchNorm: a real check
    if freeze_bn:
        assert not changed & stats, sorted(changed & stats)
    else:  # the statistics follow the batches
        assert stats <= changed
    # BatchNorm's scale and shift, and every other weight, train either way
    assert {k for k in start if k.endswith("weight")} <= changed


def test_bad_partial_block_count_is_a_one_line_error(make_cfg):
    cfg = make_cfg("finetune=partial", "finetune.blocks=99")
    with pytest.raises(DAError, match=r"finetune.blocks=99 but the backbone has 3 block"):
        build_module(cfg, build_family(cfg))


def test_frozen_parameters_leave_the_optimizer(make_cfg):
    cfg = make_cfg("finetune=frozen")
    module = build_module(cfg, build_family(cfg))

    class _T:
        estimated_stepping_batches = 10

    module.trainer = _T()  # type: ignore[assignment]
    opt = module.configure_optimizers()["optimizer"]
    in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
    assert not in_opt & {id(p) for p in module.net.backbone.parameters()}
    module.train()
    assert not module.net.backbone.training and module.net.classifier.training


def test_classes_subset_relabels_every_split(make_cfg):
    cfg = make_cfg("data.classes=[5,6,7,8,9]")
    family = build_family(cfg)
    dm = build_datamodule(cfg, family)
    dm.setup()
    assert dm.num_classes == 5
    full = family.load(cfg.source, "test")
    assert len(dm.splits["source_test"]) == int((full.y >= 5).sum())
    for name, split in dm.splits.items():
        assert set(split.y.tolist()) == set(range(5)), name
    assert build_module(cfg, family).net.classifier.out_features == 5


def test_pretrain_on_0_4_then_finetune_on_5_9_gets_a_new_head(make_cfg, tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    from tests.conftest import compose_cfg

    cfg = compose_cfg(["data.classes=[0,1,2,3,4]", "trainer.max_steps=4",
                       "trainer.val_check_interval=2"], first)
    assert run(cfg)["status"] == "ok"
    ckpt = first / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=False)["da_class_ids"] == [0, 1, 2, 3, 4]
    old = read_state_dict(ckpt)
    cfg2 = make_cfg("data.classes=[5,6,7,8,9]", f"init_from={ckpt}")
    net = build_module(cfg2, build_family(cfg2)).net
    assert net.classifier.out_features == 5
    assert not torch.equal(net.classifier.weight, old["classifier.weight"])  # new head
    assert torch.equal(net.backbone.conv[0].weight, old["backbone.conv.0.weight"])
    # the same label space keeps the head
    cfg3 = make_cfg("data.classes=[0,1,2,3,4]", f"init_from={ckpt}")
    same = build_module(cfg3, build_family(cfg3)).net
    assert torch.equal(same.classifier.weight, old["classifier.weight"])


def test_target_labels_per_class_are_k_per_class_deterministic_and_never_tested(make_cfg):
    cfg = make_cfg("data.target_labels_per_class=3")
    family = build_family(cfg)
    dms = [build_datamodule(cfg, family) for _ in range(2)]
    for dm in dms:
        dm.setup()
    lab = dms[0].splits["target_labeled"]
    assert torch.bincount(lab.y, minlength=10).tolist() == [3] * 10
    assert torch.equal(lab.x, dms[1].splits["target_labeled"].x)
    test_x = dms[0].splits["target_test"].x.flatten(1)
    assert not any(bool((test_x == x.flatten()).all(1).any()) for x in lab.x)
    batch = next(iter(dms[0].train_dataloader()))
    assert set(batch) == {"source", "target", "target_labeled"}


def test_labelled_target_samples_enter_the_loss(make_cfg):
    cfg = make_cfg("data.target_labels_per_class=2")
    family = build_family(cfg)
    dm = build_datamodule(cfg, family)
    dm.setup()
    module = build_module(cfg, family)
    logged = {}
    module.log = lambda k, v, **kw: logged.__setitem__(k, v)
    module.eval()
    batch = next(iter(dm.train_dataloader()))
    with_labels = module.training_step(batch, 0)
    without = module.training_step({k: v for k, v in batch.items() if k != "target_labeled"}, 0)
    assert "train/target_labeled/loss" in logged
    assert torch.allclose(with_labels - without, logged["train/target_labeled/loss"])


@pytest.mark.parametrize(("override", "message"), [
    ("data.target_labels_per_class=-1", "must be >= 0"),
    ("data.target_labels_per_class=100000", "lower it"),
    ("data.classes=[3]", "at least 2 distinct classes"),
    ("data.classes=[0,42]", "at least 2 distinct classes"),
])
def test_bad_transfer_settings_are_one_line_errors(make_cfg, override, message):
    cfg = make_cfg(override)
    with pytest.raises(DAError, match=message) as err:
        dm = build_datamodule(cfg, build_family(cfg))
        dm.setup()
    assert "\n" not in str(err.value)
