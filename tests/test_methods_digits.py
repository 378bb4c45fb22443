"""Every method trains a few steps on MNIST -> USPS (real data; `make test-slow`).

Slow (MNIST is decoded and evaluated per method) and needs ``$DA_DATA_DIR``; the default
suite runs every method on the embedded data instead (tests/test_methods_smoke.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from da.config import CONF_DIR
from da.train import run
from tests.conftest import method_overrides, method_spec
from tests.data.conftest import need_shared

# deep methods (digits are images; shallow sk_* methods refuse them: tests/test_shallow.py)
METHODS = sorted(p.stem for p in (Path(CONF_DIR) / "method").glob("*.yaml")
                 if not method_spec(p.stem).get("shallow"))
DIGITS = ["dataset=digits", "source=mnist", "target=usps", "trainer.max_steps=4",
          "trainer.val_check_interval=2", "callbacks.diagnostics=null"]


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("method", METHODS)
def test_method_on_mnist_to_usps(method, make_cfg, tmp_path):
    root = need_shared("mnist/train-images-idx3-ubyte.gz", "usps/usps.h5")
    base = [f"dataset.root={root}", *DIGITS]
    cfg = make_cfg(f"method={method}", *base, *method_overrides(method, tmp_path, *base))
    results = run(cfg)
    assert results["status"] == "ok" and results["task"] == "digits:mnist->usps"
    assert 0.0 <= results["target_acc"] <= 1.0
