"""Kill a run (SIGKILL) or pre-empt it (SIGTERM), resume it, and get the uninterrupted result."""

from __future__ import annotations

import json
import signal

import pytest
from omegaconf import OmegaConf

from da.results import config_hash
from tests.conftest import run_cli

ARGS = ["debug=fast", "method=dann", "trainer.max_steps=30", "trainer.val_check_interval=10",
        "trainer.deterministic=true", "logger=csv"]
KEYS = ("target_acc", "target_acc_last", "target_acc_oracle", "source_acc", "steps")


def _run(run_dir, *extra):
    return run_cli([*ARGS, f"hydra.run.dir={run_dir}", *extra])


def _result(run_dir) -> dict:
    return json.loads((run_dir / "results.json").read_text())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    d = tmp_path_factory.mktemp("full")
    proc = _run(d)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _result(d)


@pytest.mark.parametrize(("signum", "step"), [(signal.SIGKILL, 25), (signal.SIGTERM, 17)],
                         ids=["sigkill", "sigterm"])
def test_interrupted_then_resumed_equals_uninterrupted(uninterrupted, tmp_path, signum, step):
    proc = _run(tmp_path, "+callbacks.signal._target_=tests.kill_callback.SignalAt",
                f"+callbacks.signal.step={step}", f"+callbacks.signal.signum={int(signum)}")
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert not (tmp_path / "results.json").exists()
    else:  # pre-emption: checkpoint at the signal's step, clean exit, status recorded
        assert proc.returncode == 0, proc.stderr[-3000:]
        pre = _result(tmp_path)
        assert pre["status"] == "preempted" and pre["steps"] == step
        assert pre["config_hash"] == config_hash(OmegaConf.load(tmp_path / ".hydra/config.yaml"))
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()
    resumed = _run(tmp_path, "resume=true")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    result = _result(tmp_path)
    assert result["status"] == "ok"
    # it really continued: from the last validation checkpoint (SIGKILL) or the signal's step
    assert result["resumed_from_step"] == (20 if signum == signal.SIGKILL else step)
    assert uninterrupted["resumed_from_step"] == 0
    assert {k: result[k] for k in KEYS} == {k: uninterrupted[k] for k in KEYS}
    assert result["history"] == uninterrupted["history"]


def test_resumed_run_with_an_iteration_horizon_equals_an_uninterrupted_one(tmp_path):
    """horizon_steps=20 < max_steps=30: lr and GRL follow absolute iterations (p > 1 at the
    end); a run killed at step 25 and resumed gives the uninterrupted run, history included."""
    full, cut = tmp_path / "full", tmp_path / "cut"
    horizon = ["horizon_steps=20", "optim.lr_anneal.alpha=10"]
    assert _run(full, *horizon).returncode == 0
    proc = _run(cut, *horizon, "+callbacks.signal._target_=tests.kill_callback.SignalAt",
                "+callbacks.signal.step=25", f"+callbacks.signal.signum={int(signal.SIGKILL)}")
    assert proc.returncode == -signal.SIGKILL
    resumed = _run(cut, *horizon, "resume=true")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = _result(full), _result(cut)
    assert b["resumed_from_step"] == 20 and a["resumed_from_step"] == 0
    assert {k: b[k] for k in KEYS} == {k: a[k] for k in KEYS}
    assert b["history"] == a["history"]
    # the horizon really acted: the lr logged at step i is 0.01 (1 + 10 i / 20)^-0.75, uncapped
    lr = {int(r["step"]): float(r["lr-SGD/pg1"]) for r in _csv_rows(full) if r.get("lr-SGD/pg1")}
    assert max(lr) >= 25
    for i, value in lr.items():
        assert value == pytest.approx(0.01 * (1 + 10 * i / 20) ** -0.75, rel=1e-4)


def _csv_rows(run_dir) -> list[dict]:
    import csv

    with open(run_dir / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def test_finished_run_is_never_overwritten(uninterrupted, tmp_path):
    assert _run(tmp_path).returncode == 0
    before = (tmp_path / "results.json").read_text()
    again = _run(tmp_path)
    assert again.returncode == 2 and "already holds a finished run" in again.stderr
    assert (tmp_path / "results.json").read_text() == before


def test_resume_without_checkpoint_is_one_line_error(tmp_path):
    proc = _run(tmp_path, "resume=true")
    assert proc.returncode == 2
    assert "resume=true but" in proc.stderr and "last.ckpt does not exist" in proc.stderr
