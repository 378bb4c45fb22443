"""``da-bench``: training throughput of the framework against a plain PyTorch loop.

Three variants, measured in one process on the same synthetic batches (DANN, LeNet,
28x28 single-channel inputs, ``B`` source + ``B`` target samples per step):

* ``framework``: a real ``lightning.Trainer`` fitting the :class:`~da.module.DAModule`
  that ``build_module`` makes from the composed ``train`` config (``method=dann
  backbone=lenet``), with every ``self.log`` call and metric update of ``training_step``;
* ``plain``: the same computation written by hand (same ``DANetwork`` and ``DANNLoss``
  built in the same order from the same seed, same SGD groups and ``LambdaLR`` annealing):
  ``zero_grad / forward on cat(x_s, x_t) / CE + terms / backward / step / sched.step()``;
* ``data``: iterating the ``StepLoader`` alone and moving the tensors to the device.

The variants are interleaved: one ``fit`` runs ``warmup + rounds * steps + 1`` steps and,
at each block boundary, a callback runs one block of ``plain`` and ``data`` steps before
the next block of framework steps, so slow drifts of a shared machine hit all variants
alike. Framework steps are timed from one ``on_train_batch_start`` to the next: that
interval is one full loop iteration (fetch, transfer, ``training_step``, backward,
optimizer and scheduler steps, log processing) and excludes Trainer start-up and
teardown, which a ``fit``-minus-overhead measure would have to estimate. Timing
``on_train_batch_start`` to ``on_train_batch_end`` would miss the scheduler step and
Lightning's metric logging, which run after ``on_train_batch_end``. On CUDA the device
is synchronised at block boundaries only, so per-step times there are host-side times;
block totals are exact.

Throughput is ``2 B steps / block seconds`` per round; the report gives the median and
the min-max over rounds, and ``ratio``: the median over rounds of framework/plain, each
round's framework block paired with the plain block that ran right after it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig

from da.build import build_module, build_terms
from da.config import CONF_DIR
from da.data.loader import DomainStream, StepLoader
from da.losses.base import LossInputs
from da.module import DAModule, InverseDecay
from da.nets.heads import DANetwork

# build_module reads only these two attributes of a dataset family
FAMILY = SimpleNamespace(input_shape=(1, 28, 28), num_classes=10)
VARIANTS = ("framework", "plain", "data")


def compose_bench_cfg(batch_size: int, overrides: tuple[str, ...] = ()) -> DictConfig:
    """The real ``train`` config with DANN and LeNet."""
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        return compose("train", overrides=["method=dann", "backbone=lenet",
                                           f"data.batch_size={batch_size}", *overrides])


def make_data(batch_size: int, seed: int, batches: int = 8,
              device: str = "cpu") -> dict[str, tuple[torch.Tensor, ...]]:
    """Random inputs and labels, ``batches`` steps' worth per domain, held in memory."""
    g = torch.Generator().manual_seed(seed)
    n = batch_size * batches
    x_s = torch.randn(n, *FAMILY.input_shape, generator=g)
    y_s = torch.randint(0, FAMILY.num_classes, (n,), generator=g)
    x_t = torch.randn(n, *FAMILY.input_shape, generator=g)
    return {"source": (x_s.to(device), y_s.to(device)), "target": (x_t.to(device),)}


def make_loader(data: dict, batch_size: int, seed: int) -> StepLoader:
    return StepLoader({name: DomainStream(t, batch_size, seed, salt=i)
                       for i, (name, t) in enumerate(data.items())})


def forever(loader: StepLoader) -> Iterator[dict]:
    while True:  # each iter() continues at the loader's step
        yield from loader


def _autocast(device: str, precision: str):
    if precision == "bf16-mixed":
        return torch.autocast(device_type=device, dtype=torch.bfloat16)
    return contextlib.nullcontext()


class PlainLoop:
    """The framework's training step written as a plain PyTorch loop (no Lightning)."""

    def __init__(self, cfg: DictConfig, loader: StepLoader, total_steps: int, device: str,
                 precision: str = "32-true", compile: bool = False) -> None:
        # the construction order of build_module, so one seed gives identical weights
        backbone = instantiate(cfg.backbone, input_shape=list(FAMILY.input_shape))
        self.net = DANetwork(backbone, FAMILY.num_classes, cfg.model.bottleneck_dim,
                             cfg.model.bottleneck_bn,
                             channels_last=bool(cfg.model.get("channels_last", False)))
        self.terms = build_terms(cfg.method, self.net.feature_dim, FAMILY.num_classes)
        losses = torch.nn.ModuleList([t.loss for t in self.terms.values()])
        self.net.to(device).train()
        losses.to(device).train()
        if compile:
            self.net.compile()
        ids = {id(p) for p in backbone.parameters()}
        rest = [p for m in (self.net, losses) for p in m.parameters() if id(p) not in ids]
        lr = float(cfg.optim.optimizer.lr)
        self.opt = instantiate(cfg.optim.optimizer)([
            {"params": list(backbone.parameters()), "lr": lr * cfg.optim.backbone_lr_mult},
            {"params": rest, "lr": lr}])
        anneal = cfg.optim.lr_anneal
        self.sched = (torch.optim.lr_scheduler.LambdaLR(
            self.opt, InverseDecay(total_steps, **anneal)) if anneal else None)
        self.total_steps, self.device, self.precision = total_steps, device, precision
        self.batches, self.step_count = forever(loader), 0

    def step(self) -> torch.Tensor:
        batch = next(self.batches)
        x_s, y_s = (t.to(self.device, non_blocking=True) for t in batch["source"])
        x_t = batch["target"][0].to(self.device, non_blocking=True)
        progress = min(self.step_count / self.total_steps, 1.0)
        self.opt.zero_grad(set_to_none=True)
        with _autocast(self.device, self.precision):
            f, logits = self.net(torch.cat([x_s, x_t]))
            n = len(x_s)
            loss = F.cross_entropy(logits[:n], y_s)
            inputs = LossInputs(f[:n], f[n:], logits[:n], logits[n:], y_s, progress)
            for term in self.terms.values():
                loss = loss + term.coefficient(progress) * term.loss(inputs).loss
        loss.backward()
        self.opt.step()
        if self.sched is not None:
            self.sched.step()
        self.step_count += 1
        return loss.detach()


class DataPath:
    """The data path alone: next batch from the loader, tensors moved to the device."""

    def __init__(self, loader: StepLoader, device: str) -> None:
        self.batches, self.device = forever(loader), device

    def step(self) -> int:
        batch = next(self.batches)
        return sum(t.to(self.device, non_blocking=True).numel()
                   for ts in batch.values() for t in ts)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def timed_block(step: Callable, n: int, device: str) -> list[float]:
    """Per-step seconds of ``n`` calls of ``step`` (device synchronised at both ends)."""
    _sync(device)
    times, last = [], time.perf_counter()
    for i in range(n):
        step()
        if i == n - 1:
            _sync(device)
        now = time.perf_counter()
        times.append(now - last)
        last = now
    return times


class Interleave(L.Callback):
    """Times framework steps start-to-start; runs the other variants' blocks in between."""

    def __init__(self, others: dict[str, Callable], warmup: int, steps: int, rounds: int,
                 device: str) -> None:
        self.others, self.device = others, device
        self.warmup, self.steps, self.rounds = warmup, steps, rounds
        self.times: dict[str, list[list[float]]] = {v: [] for v in VARIANTS}
        self.block: list[float] | None = None
        self.last = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        k = trainer.global_step - self.warmup
        if k < 0:
            return
        if self.block is not None:  # the previous framework step ends here
            if k % self.steps == 0:
                _sync(self.device)
            now = time.perf_counter()
            self.block.append(now - self.last)
            self.last = now
        if k % self.steps or k > self.rounds * self.steps:
            return
        if self.block is None:  # first boundary: warm the other variants up
            for step in self.others.values():
                timed_block(step, self.warmup, self.device)
        else:
            self.times["framework"].append(self.block)
            for name, step in self.others.items():
                self.times[name].append(timed_block(step, self.steps, self.device))
        self.block = [] if k < self.rounds * self.steps else None
        _sync(self.device)
        self.last = time.perf_counter()


def trainer_for(cfg: DictConfig, max_steps: int, device: str, precision: str,
                callbacks: list) -> L.Trainer:
    return L.Trainer(accelerator=device, devices=1, max_steps=max_steps, precision=precision,
                     logger=False, enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0,
                     log_every_n_steps=int(cfg.trainer.log_every_n_steps), callbacks=callbacks)


def framework_module(cfg: DictConfig, compile: bool) -> DAModule:
    module = build_module(cfg, FAMILY)
    if compile:
        module.net.compile()
    return module


def measure(args: argparse.Namespace) -> dict[str, list[list[float]]]:
    """Raw per-step seconds, ``{variant: [round][step]}``."""
    cfg = compose_bench_cfg(args.batch_size)
    data_device = args.device if args.data_on_device else "cpu"
    data = make_data(args.batch_size, args.seed, device=data_device)
    total = args.warmup + args.rounds * args.steps + 1
    L.seed_everything(args.seed, verbose=False)
    module = framework_module(cfg, args.compile)
    L.seed_everything(args.seed, verbose=False)
    plain = PlainLoop(cfg, make_loader(data, args.batch_size, args.seed), total, args.device,
                      args.precision, args.compile)
    path = DataPath(make_loader(data, args.batch_size, args.seed), args.device)
    clock = Interleave({"plain": plain.step, "data": path.step}, args.warmup, args.steps,
                       args.rounds, args.device)
    trainer = trainer_for(cfg, total, args.device, args.precision, [clock])
    trainer.fit(module, train_dataloaders=make_loader(data, args.batch_size, args.seed))
    return clock.times


def summarise(times: dict[str, list[list[float]]], samples_per_step: int) -> dict:
    """Samples/s per round; ``ratio_vs_plain`` is the median over rounds of the paired ratio.

    Pairing matters on a shared machine: its speed can change tenfold between rounds
    (another job taking a core stalls every parallel region), and adjacent blocks of two
    variants see the same regime while the medians of each may not.
    """
    rates = {name: [samples_per_step * len(r) / sum(r) for r in rounds]
             for name, rounds in times.items()}
    out: dict = {"variants": {}}
    for name, rs in rates.items():
        paired = [a / b for a, b in zip(rs, rates["plain"], strict=True)]
        out["variants"][name] = {"samples_per_s": rs, "median": statistics.median(rs),
                                 "min": min(rs), "max": max(rs),
                                 "ratio_vs_plain": statistics.median(paired),
                                 "step_ms_median": 1e3 * statistics.median(
                                     t for r in times[name] for t in r),
                                 "step_s": times[name]}
    v = out["variants"]
    out["ratio"] = v["framework"]["ratio_vs_plain"]
    paired = [a / b for a, b in zip(rates["framework"], rates["plain"], strict=True)]
    out["ratio_quartiles"] = (statistics.quantiles(paired, n=4) if len(paired) > 1
                              else [paired[0]] * 3)
    out["ratio_of_medians"] = v["framework"]["median"] / v["plain"]["median"]
    return out


def environment(device: str) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo()
                if line.startswith("model name")), platform.processor())
    return {"torch": torch.__version__, "lightning": L.__version__,
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu, "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
            "device": torch.cuda.get_device_name() if device == "cuda" else cpu,
            "loadavg_1min": os.getloadavg()[0]}


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def markdown(result: dict) -> str:
    a = result["args"]
    lines = [f"DANN + LeNet, {a['batch_size']}+{a['batch_size']} samples/step, "
             f"device {a['device']} ({result['env']['device']}), {a['precision']}, "
             f"compile={a['compile']}, threads={result['env']['threads']}, "
             f"{a['rounds']} rounds x {a['steps']} steps after {a['warmup']} warm-up steps",
             "", "| variant | samples/s median | min–max | ratio vs plain |", "|---|---|---|---|"]
    for name, v in result["variants"].items():
        lines.append(f"| {name} | {v['median']:.0f} | {v['min']:.0f}–{v['max']:.0f} | "
                     f"{v['ratio_vs_plain']:.3f} |")
    q1, _, q3 = result["ratio_quartiles"]
    lines += ["", f"framework/plain: {result['ratio']:.3f} (median over rounds of the paired "
              f"ratio, quartiles {q1:.3f}–{q3:.3f}; ratio of the medians: "
              f"{result['ratio_of_medians']:.3f})",
              "", "median step time (ms, all timed steps): " + ", ".join(
                  f"{n} {v['step_ms_median']:.1f}" for n, v in result["variants"].items()), ""]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="da-bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"],
                   default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--data-on-device", action="store_true",
                   help="keep the synthetic data on the device (GPU-resident data path)")
    p.add_argument("--precision", choices=["32-true", "bf16-mixed"], default="32-true")
    p.add_argument("--compile", action="store_true", help="torch.compile the network (both)")
    p.add_argument("--steps", type=int, default=30, help="timed steps per round and variant")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128, help="per domain")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="write bench.json and bench.md here")
    args = p.parse_args(argv)
    if min(args.steps, args.rounds, args.warmup, args.batch_size, args.threads) < 1:
        p.error("--steps, --rounds, --warmup, --batch-size and --threads must be >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda but CUDA is not available")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(logging interval|many workers|treespec|val_dataloader).*")
        times = measure(args)
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "env": environment(args.device), **summarise(times, 2 * args.batch_size)}
    table = markdown(result)
    print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench.json").write_text(json.dumps(result, indent=1) + "\n")
        (args.out / "bench.md").write_text(table)


if __name__ == "__main__":
    main()
