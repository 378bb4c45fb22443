"""Benchmark recipes (``conf/experiment/``): each pins its protocol, builds, and trains."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir

from da.build import build_datamodule, build_family, build_module
from da.config import CONF_DIR
from da.train import run
from tests.data.conftest import need_shared

# recipe -> (task, backbone class, batch, steps, lr, backbone lr mult, lr annealing alpha)
PROTOCOLS = {
    "digits_mnist_usps": ("digits:mnist->usps", "LeNet", 64, 2500, 0.01, 1.0, 10.0),
    "digits_usps_mnist": ("digits:usps->mnist", "LeNet", 64, 2000, 0.01, 1.0, 10.0),
    "digits_mnist_mnistm": ("digits:mnist->mnist_m", "DANNMnist", 64, 2000, 0.01, 1.0, 10.0),
    "tllib_mnist_usps": ("digits:mnist->usps", "LeNet", 128, 7500, 0.01, 1.0, 10.0),
    "tllib_usps_mnist": ("digits:usps->mnist", "LeNet", 128, 7500, 0.1, 1.0, 10.0),
    "ganin_mnist_mnistm": ("digits:mnist->mnist_m", "DANNMnist", 64, 7500, 0.01, 1.0, 10.0),
    "tfdann_mnist_mnistm": ("digits:mnist->mnist_m", "DANNMnist", 32, 8600, 0.01, 1.0, 10.0),
    "office_caltech_surf": ("office_caltech_surf:amazon->webcam", "MLP", 64, 600, 0.01, 1.0, 10.0),
    "office31_resnet50": ("office31:amazon->webcam", "ResNet", 32, 20000, 0.01, 0.1, 20.0),
}
# files a 2-step run reads from $DA_DATA_DIR
NEEDS = {
    "digits_mnist_usps": ("mnist/train-images-idx3-ubyte.gz", "usps/usps.h5"),
    "digits_usps_mnist": ("mnist/train-images-idx3-ubyte.gz", "usps/usps.h5"),
    "digits_mnist_mnistm": ("mnist/train-images-idx3-ubyte.gz", "mnist_m/mnist_m_test.npz"),
    "tllib_mnist_usps": ("mnist/train-images-idx3-ubyte.gz", "usps/usps.h5"),
    "ganin_mnist_mnistm": ("mnist/train-images-idx3-ubyte.gz", "mnist_m/mnist_m_test.npz"),
    "tfdann_mnist_mnistm": ("mnist/train-images-idx3-ubyte.gz", "mnist_m/mnist_m_test.npz"),
    "office_caltech_surf": ("office_caltech10_surf/amazon_SURF_L10.mat",
                            "office_caltech10_surf/webcam_SURF_L10.mat"),
}


def _recipe(name: str, *overrides: str):
    if not (Path(CONF_DIR) / "experiment" / f"{name}.yaml").is_file():
        pytest.skip(f"conf/experiment/{name}.yaml is not on this branch")
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        return compose("train", overrides=[f"experiment={name}", *overrides])


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_recipe_pins_its_protocol_and_builds(name, tmp_path):
    task, backbone, batch, steps, lr, mult, alpha = PROTOCOLS[name]
    # the pretrained weights cannot be downloaded here; the data is not needed to build
    # (method=dann: TLlib's ERM has settings of its own, checked below)
    cfg = _recipe(name, "method=dann", *(["backbone.weights=null"] if "resnet" in name else []))
    assert cfg.task == task and cfg.study == name
    assert cfg.backbone._target_.endswith(f".{backbone}")
    assert cfg.data.batch_size == batch and cfg.trainer.max_steps == steps
    assert cfg.trainer.val_check_interval <= steps
    assert cfg.optim.optimizer.lr == lr and cfg.optim.backbone_lr_mult == mult
    assert cfg.optim.lr_anneal.alpha == alpha and cfg.optim.lr_anneal.beta == 0.75
    family = build_family(cfg)
    module = build_module(cfg, family)
    build_datamodule(cfg, family)
    assert module.net.classifier.out_features == family.num_classes


def test_office31_recipe_is_the_tllib_setup():
    cfg = _recipe("office31_resnet50")
    assert cfg.backbone.weights == "imagenet" and cfg.backbone.arch == "resnet50"
    assert cfg.trainer.accelerator == "gpu" and cfg.data.num_workers > 0 and cfg.data.pin_memory
    assert (cfg.dataset.resize_size, cfg.dataset.crop_size) == (256, 224)
    assert cfg.model.bottleneck_dim == 256 and cfg.optim.optimizer.weight_decay == 1e-3
    # TLlib's lr (1 + 0.001 i)^-0.75 over its 20,000 iterations
    assert cfg.optim.lr_anneal.alpha == pytest.approx(0.001 * cfg.trainer.max_steps)


@pytest.mark.data
@pytest.mark.parametrize("name", sorted(NEEDS))
def test_recipe_runs_two_steps_on_the_real_data(name, make_cfg):
    if not (Path(CONF_DIR) / "experiment" / f"{name}.yaml").is_file():
        pytest.skip(f"conf/experiment/{name}.yaml is not on this branch")
    root = need_shared(*NEEDS[name])
    cfg = make_cfg(f"experiment={name}", f"dataset.root={root}", "trainer.max_steps=2",
                   "trainer.val_check_interval=2", "+trainer.limit_val_batches=1",
                   "+trainer.limit_test_batches=1")
    res = run(cfg)
    assert res["status"] == "ok" and res["steps"] == 2
    assert res["task"] == PROTOCOLS[name][0]
    assert 0.0 <= res["target_acc"] <= 1.0


def _family(channels: int, size: int = 28):
    """A family that only declares the digits geometry: enough to build a recipe's network."""
    from da.data.base import DomainFamily

    fam = DomainFamily()
    fam.num_classes, fam.input_shape = 10, (channels, size, size)
    return fam


def test_tllib_recipes_follow_its_scripts_per_method():
    """The per-method settings of TLlib's digits scripts (conf/protocol_method/tllib_digits_*)."""
    for task in ("tllib_mnist_usps", "tllib_usps_mnist"):
        lr = 0.1 if task == "tllib_usps_mnist" else 0.01
        erm = _recipe(task, "method=source_only")  # erm.py: no bottleneck, lr-gamma 3e-4, wd 5e-4
        assert erm.model.bottleneck_dim is None and erm.optim.lr_anneal.alpha == 3.0
        assert erm.optim.optimizer.weight_decay == 5e-4 and erm.optim.optimizer.lr == lr
        dann = _recipe(task, "method=dann")
        assert dann.model.bottleneck_dim == 256 and dann.optim.optimizer.weight_decay == 1e-3
        assert (dann.method.loss.batch_norm, dann.method.loss.dropout) == (True, 0.0)
        assert dann.horizon_steps == 10000 and dann.dataset.resize == "pil_bicubic"
        assert dann.data.source_val_fraction == 0.05 and dann.num_threads == 1
        mdd = _recipe(task, "method=mdd")  # mdd.py: lr 0.01 on both tasks, finetune=True
        assert mdd.optim.optimizer.lr == 0.01 and mdd.optim.backbone_lr_mult == 0.1
        assert mdd.optim.lr_anneal.alpha == 2.0 and list(mdd.model.head_hidden) == [1024]
        mmd = _recipe(task, "method=mmd")
        assert mmd.method.loss.estimator == "linear" and mmd.method.schedule is None
    # a method without TLlib settings of its own keeps its defaults
    assert _recipe("tllib_mnist_usps", "method=jan").method == _recipe("digits_mnist_usps",
                                                                      "method=jan").method


def test_tllib_recipe_schedules_are_tllib_formulas_in_absolute_iterations():
    """lr (1 + 0.001 i)^-0.75 and GRL 2/(1+exp(-i/1000)) - 1 whatever the run's length."""
    import math

    from da.schedules import progress

    for steps in (3000, 7500):
        cfg = _recipe("tllib_mnist_usps", "method=dann", f"trainer.max_steps={steps}")
        module = build_module(cfg, _family(1))
        module.planned_steps = steps
        decay, grl = module.lr_decay(), module.terms["dann"].loss.schedule
        for i in (0, 1, 999, 2500, steps - 1, 50_000):
            assert decay(i) == pytest.approx((1 + 0.001 * i) ** -0.75, rel=1e-12)
            p = progress(i, steps, module.horizon_steps)
            assert grl(p) == pytest.approx(2 / (1 + math.exp(-i / 1000)) - 1, abs=1e-12)


def test_ganin_recipe_is_the_papers_network():
    cfg = _recipe("ganin_mnist_mnistm", "method=dann")
    assert cfg.dataset.normalize == "pixel_mean" and cfg.dataset.image_size == 28
    assert cfg.dataset.channels == 3 and cfg.horizon_steps is None
    assert cfg.optim.optimizer.weight_decay == 0.0 and not cfg.optim.optimizer.nesterov
    module = build_module(cfg, _family(3))
    net = module.net
    linears = [m for m in net.classifier if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(768, 100), (100, 100),
                                                                   (100, 10)]
    disc = module.terms["dann"].loss.discriminator
    assert [(m.in_features, m.out_features) for m in disc if isinstance(m, torch.nn.Linear)] == [
        (768, 100), (100, 1)]
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.Dropout)) for m in disc)


def test_tfdann_recipe_is_the_tf_replications_setup():
    """pumpikano/tf-dann's MNIST-DANN notebook: binarised MNIST, MNIST-M at 28x28, channel
    mean, SAME convolutions, truncated-normal init, 32 + 32 (source only 64), 8,600 steps."""
    cfg = _recipe("tfdann_mnist_mnistm", "method=dann")
    assert list(cfg.dataset.binarize) == ["mnist"] and list(cfg.dataset.crop_or_pad) == ["mnist_m"]
    assert cfg.dataset.normalize == "channel_mean" and cfg.dataset.image_size == 28
    assert cfg.optim.optimizer.weight_decay == 0.0 and not cfg.optim.optimizer.nesterov
    assert cfg.horizon_steps is None and cfg.trainer.max_steps % cfg.trainer.val_check_interval == 0
    assert round(cfg.data.source_val_fraction * 60_000) == 5_000  # its 55,000 training images
    assert _recipe("tfdann_mnist_mnistm", "method=source_only").data.batch_size == 64
    torch.manual_seed(0)
    module = build_module(cfg, _family(3))
    linears = [m for m in module.net.classifier if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(2352, 100), (100, 100),
                                                                   (100, 10)]
    disc = module.terms["dann"].loss.discriminator
    disc_linears = [m for m in disc if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in disc_linears] == [(2352, 100), (100, 1)]
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.Dropout)) for m in disc)
    # TF's truncated_normal(stddev=0.1): |w| <= 0.2, std 0.088; constant 0.1 biases
    layers = [m for m in module.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert disc_linears[0] in layers and len(layers) == 7
    with torch.no_grad():
        for m in layers:
            assert float(m.weight.abs().max()) <= 0.2 and torch.all(m.bias == 0.1)
        assert float(linears[0].weight.std()) == pytest.approx(0.088, abs=0.005)
