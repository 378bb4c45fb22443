"""ADDA: needs a source model; the source encoder and the classifier stay frozen while the
target encoder moves; iterations are global steps."""

from __future__ import annotations

import pytest
import torch

from da.build import build_family, build_module
from da.errors import DAError
from da.nets.pretrained import read_state_dict
from da.train import run
from tests.conftest import method_overrides


def test_adda_without_a_source_model_is_a_one_line_error(make_cfg):
    cfg = make_cfg("method=adda")
    with pytest.raises(DAError, match="init_from=<its checkpoint>") as err:
        build_module(cfg, build_family(cfg))
    assert "\n" not in str(err.value)


def test_frozen_source_encoder_and_classifier_trained_target_encoder(make_cfg, tmp_path):
    overrides = method_overrides("adda", tmp_path)
    start = read_state_dict(overrides[0].split("=", 1)[1])
    cfg = make_cfg("method=adda", *overrides, "trainer.max_steps=6",
                   "trainer.val_check_interval=3")
    result = run(cfg)
    assert result["status"] == "ok" and result["steps"] == 6
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    # last.ckpt is written with the best one (Lightning), so at step 3 or 6
    assert ckpt["global_step"] in (3, 6) and len(ckpt["optimizer_states"]) == 2
    state = ckpt["state_dict"]
    end = read_state_dict(tmp_path / "checkpoints" / "last.ckpt")
    assert torch.equal(start["classifier.weight"], end["classifier.weight"])
    # the source encoder copy (backbone = index 0) is the starting network, unchanged
    src = {k[len("source_encoder.0."):]: v for k, v in state.items()
           if k.startswith("source_encoder.0.")}
    for k, v in src.items():
        assert torch.equal(v, start[f"backbone.{k}"]), k
    assert not torch.equal(start["bottleneck.0.weight"], end["bottleneck.0.weight"])
    assert "train/adda/disc_acc" in (tmp_path / "csv" / "metrics.csv").read_text().splitlines()[0]
