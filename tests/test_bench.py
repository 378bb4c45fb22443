"""``da-bench``: its report, and proof that its plain loop is the framework's computation."""

from __future__ import annotations

import json
import statistics

import lightning as L
import pytest
import torch

from da import bench

pytestmark = pytest.mark.filterwarnings("ignore:.*no `val_dataloader`")


def test_bench_writes_report(tmp_path):
    bench.main(["--device", "cpu", "--steps", "3", "--rounds", "2", "--warmup", "2",
                "--batch-size", "16", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "bench.json").read_text())
    table = (tmp_path / "bench.md").read_text()
    v = result["variants"]
    assert set(v) == {"framework", "plain", "data"}
    rates = {}
    for name in v:
        assert [len(r) for r in v[name]["step_s"]] == [3, 3]
        rates[name] = [2 * 16 * len(r) / sum(r) for r in v[name]["step_s"]]
        assert v[name]["samples_per_s"] == pytest.approx(rates[name])
        assert v[name]["median"] > 0 and min(rates[name]) > 0
        assert f"| {name} | " in table
    paired = statistics.median(f / p for f, p in zip(rates["framework"], rates["plain"],
                                                     strict=True))
    assert result["ratio"] == pytest.approx(paired)
    assert result["ratio_of_medians"] == pytest.approx(
        statistics.median(rates["framework"]) / statistics.median(rates["plain"]))
    assert result["env"]["torch"] == torch.__version__
    assert result["env"]["threads"] == 2


class _Losses(L.Callback):
    """Reseeds right before the first step (dropout) and records each step's loss."""

    def __init__(self, seed: int) -> None:
        self.seed, self.losses = seed, []

    def on_train_start(self, trainer, pl_module) -> None:
        torch.manual_seed(self.seed)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.losses.append(float(outputs["loss"]))


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_plain_loop_computes_the_framework_step(precision):
    """Same init, batches and dropout draws: same losses and same weights after training."""
    batch, steps, seed = 16, 5, 0
    cfg = bench.compose_bench_cfg(batch)
    data = bench.make_data(batch, seed)
    L.seed_everything(seed, verbose=False)
    module = bench.framework_module(cfg, compile=False)
    record = _Losses(seed)
    trainer = bench.trainer_for(cfg, steps, "cpu", precision, [record])
    trainer.fit(module, train_dataloaders=bench.make_loader(data, batch, seed))

    L.seed_everything(seed, verbose=False)
    plain = bench.PlainLoop(cfg, bench.make_loader(data, batch, seed), steps, "cpu", precision)
    torch.manual_seed(seed)
    losses = [float(plain.step()) for _ in range(steps)]

    assert len(record.losses) == steps
    assert len(set(losses)) > 1  # it trains: the trajectory is not constant
    assert losses == pytest.approx(record.losses, rel=1e-5, abs=1e-6)
    got, want = plain.net.state_dict(), module.net.state_dict()
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=1e-5, atol=1e-6)
    assert plain.opt.param_groups[0]["lr"] == pytest.approx(
        trainer.optimizers[0].param_groups[0]["lr"])
