"""Every ``conf/method/*.yaml`` trains end to end on CPU and writes a complete results.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from da.config import CONF_DIR
from da.train import run
from tests.conftest import method_overrides, method_spec

# deep methods; the shallow ones (method.shallow, sk_*) are covered by tests/test_shallow.py
METHODS = sorted(p.stem for p in (Path(CONF_DIR) / "method").glob("*.yaml")
                 if not method_spec(p.stem).get("shallow"))


@pytest.mark.parametrize("method", METHODS)
def test_method_trains_and_reports(method, make_cfg, tmp_path):
    # a short run (diagnostics are tested in tests/test_callbacks.py)
    cfg = make_cfg(f"method={method}", "trainer.max_steps=6", "trainer.val_check_interval=3",
                   "callbacks.diagnostics=null", *method_overrides(method, tmp_path))
    results = run(cfg)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["method"] == method
    for key in ("target_acc", "target_acc_last", "target_acc_oracle", "source_acc"):
        assert 0.0 <= on_disk[key] <= 1.0, key
    assert on_disk["steps"] == cfg.trainer.max_steps
    assert math.isfinite(results["history"][-1]["val/source/loss"])


@pytest.mark.parametrize("method", ["source_only", "mmd", "dann"])
def test_methods_on_moons(method, make_cfg):
    cfg = make_cfg(f"method={method}", "experiment=moons", "trainer.max_steps=20",
                   "trainer.val_check_interval=10")
    assert run(cfg)["task"] == "moons:original->rotated"
