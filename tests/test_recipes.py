"""Benchmark recipes (``conf/experiment/``): each pins its protocol, builds, and trains."""

from __future__ import annotations

from pathlib import Path

import pytest
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
    "office_caltech_surf": ("office_caltech_surf:amazon->webcam", "MLP", 64, 600, 0.01, 1.0, 10.0),
    "office31_resnet50": ("office31:amazon->webcam", "ResNet", 32, 20000, 0.01, 0.1, 20.0),
}
# files a 2-step run reads from $DA_DATA_DIR
NEEDS = {
    "digits_mnist_usps": ("mnist/train-images-idx3-ubyte.gz", "usps/usps.h5"),
    "digits_usps_mnist": ("mnist/train-images-idx3-ubyte.gz", "usps/usps.h5"),
    "digits_mnist_mnistm": ("mnist/train-images-idx3-ubyte.gz", "mnist_m/mnist_m_test.npz"),
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
    cfg = _recipe(name, *(["backbone.weights=null"] if "resnet" in name else []))
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
