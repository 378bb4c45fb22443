"""Where a framework step's time goes, next to the plain loop's (cProfile, after warm-up).

    PYTHONPATH=. python experiments/2026-11-24_throughput/profile_step.py --threads 1

Profiles ``--steps`` framework steps (one ``fit``, profiler switched on by a callback after
``--warmup`` steps and off at the end of training) and as many plain-loop steps, then
prints per-step milliseconds of the entries that make up Lightning's share. cProfile
slows Python code more than the C++ kernels, so these shares are upper bounds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import warnings

import lightning as L
import torch

from da import bench


class _Profile(L.Callback):
    def __init__(self, profiler: cProfile.Profile, warmup: int) -> None:
        self.profiler, self.warmup = profiler, warmup

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.warmup:
            self.profiler.enable()

    def on_train_end(self, trainer, pl_module) -> None:
        self.profiler.disable()


# (label, substring of "file:line(function)") of the entries worth naming
ENTRIES = [
    ("whole loop iteration (advance)", "training_epoch_loop.py", "advance"),
    ("optimizer closure (training_step + backward)", "automatic.py", "closure"),
    ("DAModule.training_step", "da/module.py", "training_step"),
    ("  LightningModule.log (all calls)", "core/module.py", "log"),
    ("  MulticlassAccuracy forward (train_acc)", "torchmetrics/metric.py", "forward"),
    ("  DANNLoss.forward", "da/losses/dann.py", "forward"),
    ("  DANetwork.forward", "da/nets/heads.py", "forward"),
    ("backward", "torch/_tensor.py", "backward"),
    ("optimizer.step (SGD)", "torch/optim/sgd.py", "step"),
    ("logger connector: update_train_step_metrics", "logger_connector.py",
     "update_train_step_metrics"),
    ("logger connector: on_batch_end", "logger_connector.py", "on_batch_end"),
    ("data fetch (next(data_fetcher))", "fetchers.py", "__next__"),
    ("batch_to_device", "strategies/strategy.py", "batch_to_device"),
    ("lr scheduler update", "training_epoch_loop.py", "update_lr_schedulers"),
    ("on_advance_end (val check, bookkeeping)", "training_epoch_loop.py", "on_advance_end"),
]


def per_step_ms(stats: pstats.Stats, steps: int) -> dict[str, float]:
    out = {}
    for label, path, func in ENTRIES:
        cum = [v[3] for (f, _, name), v in stats.stats.items() if path in f and name == func]
        out[label] = 1e3 * max(cum, default=0.0) / steps
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--top", type=int, default=0, help="also print the top N by tottime")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    cfg = bench.compose_bench_cfg(args.batch_size)
    data = bench.make_data(args.batch_size, 0)
    total = args.warmup + args.steps

    L.seed_everything(0, verbose=False)
    module = bench.framework_module(cfg, compile=False)
    fw = cProfile.Profile()
    trainer = bench.trainer_for(cfg, total, "cpu", "32-true", [_Profile(fw, args.warmup)])
    trainer.fit(module, train_dataloaders=bench.make_loader(data, args.batch_size, 0))

    L.seed_everything(0, verbose=False)
    plain = bench.PlainLoop(cfg, bench.make_loader(data, args.batch_size, 0), total, "cpu")
    for _ in range(args.warmup):
        plain.step()
    pl = cProfile.Profile()
    pl.enable()
    for _ in range(args.steps):
        plain.step()
    pl.disable()

    fs, ps = pstats.Stats(fw), pstats.Stats(pl)
    print(f"per step, ms (threads={args.threads}, {args.steps} steps, under cProfile)")
    print(f"  framework total profiled: {1e3 * fs.total_tt / args.steps:8.2f}")
    print(f"  plain total profiled:     {1e3 * ps.total_tt / args.steps:8.2f}")
    for label, ms in per_step_ms(fs, args.steps).items():
        print(f"  {label:<50s} {ms:8.2f}")
    if args.top:
        buf = io.StringIO()
        fs.stream = buf
        fs.sort_stats("tottime").print_stats(args.top)
        print(buf.getvalue())


if __name__ == "__main__":
    main()
