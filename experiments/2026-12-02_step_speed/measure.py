"""Where a 128 + 128 LeNet DANN step's time goes on this CPU, and what the cheap changes buy.

    .venv/bin/python experiments/2026-12-02_step_speed/measure.py --out experiments/2026-12-02_step_speed

Variants of the same training step (TLlib's digits DANN: LeNet, bottleneck 256 + BN, BN
discriminator 1024-1024, SGD Nesterov), timed in one process and interleaved in short blocks
so that a shared machine's drifts hit them alike; each variant's time is reported as a ratio to
the reference (contiguous NCHW, the given thread count) measured in the same rounds:

* ``nchw`` (reference) / ``channels_last``: the memory layout of the convolutions;
* ``forward`` / ``backward`` / ``optimizer``: the parts of a ``channels_last`` step;
* ``eval_512``: one evaluation batch of 512 images (no grad), per image, for the validation cost.

Writes ``speed_t<threads>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from da.losses.base import LossInputs
from da.losses.dann import DANNLoss
from da.nets.backbones import LeNet
from da.nets.heads import DANetwork


def build(channels_last: bool):
    torch.manual_seed(0)
    net = DANetwork(LeNet((1, 28, 28)), 10, 256, True, channels_last=channels_last)
    loss = DANNLoss(256, 10, hidden=1024, batch_norm=True, dropout=0.0)
    opt = torch.optim.SGD([*net.parameters(), *loss.parameters()], lr=0.01, momentum=0.9,
                          nesterov=True, weight_decay=1e-3)
    return net, loss, opt


def step(net, loss, opt, x, y, parts: dict | None = None) -> None:
    t0 = time.perf_counter()
    f, logits = net(x)
    n = len(y)
    total = F.cross_entropy(logits[:n], y) + loss(
        LossInputs(f[:n], f[n:], logits[:n], logits[n:], y, 0.5)).loss
    t1 = time.perf_counter()
    opt.zero_grad()
    total.backward()
    t2 = time.perf_counter()
    opt.step()
    t3 = time.perf_counter()
    if parts is not None:
        for k, v in (("forward", t1 - t0), ("backward", t2 - t1), ("optimizer", t3 - t2)):
            parts.setdefault(k, []).append(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128, help="per domain")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5, help="steps per block")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2 * args.batch, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (args.batch,), generator=g)
    xe = torch.randn(512, 1, 28, 28, generator=g)
    models = {"nchw": build(False), "channels_last": build(True)}
    for m in models.values():  # warm-up (oneDNN primitive caches)
        for _ in range(3):
            step(*m, x, y)
    blocks: dict[str, list[float]] = {"nchw": [], "channels_last": [], "eval_512_nchw": [],
                                      "eval_512_channels_last": []}
    parts: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for name, m in models.items():
            t = time.perf_counter()
            for _ in range(args.steps):
                step(*m, x, y, parts if name == "channels_last" else None)
            blocks[name].append((time.perf_counter() - t) / args.steps)
            net = m[0].eval()
            with torch.no_grad():
                t = time.perf_counter()
                net(xe)
                blocks[f"eval_512_{name}"].append(time.perf_counter() - t)
            net.train()
    med = {k: statistics.median(v) for k, v in blocks.items()}
    ratio = statistics.median(c / r for c, r in zip(blocks["channels_last"], blocks["nchw"],
                                                    strict=True))
    eval_ratio = statistics.median(c / r for c, r in zip(blocks["eval_512_channels_last"],
                                                         blocks["eval_512_nchw"], strict=True))
    part_ms = {k: 1000 * statistics.median(v) for k, v in parts.items()}
    res = {"threads": args.threads, "batch_per_domain": args.batch, "rounds": args.rounds,
           "steps_per_block": args.steps, "median_s_per_step": med,
           "channels_last_over_nchw_step": ratio, "channels_last_over_nchw_eval": eval_ratio,
           "channels_last_parts_ms": part_ms,
           "env": {"cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
                   "torch": torch.__version__, "loadavg_1min": os.getloadavg()[0]}}
    lines = [f"LeNet DANN step, {args.batch}+{args.batch}, {args.threads} thread(s), "
             f"{args.rounds} rounds x {args.steps} steps (load {res['env']['loadavg_1min']:.1f})",
             "", "| variant | median s/step | ratio vs nchw (paired) |", "|---|---|---|",
             f"| nchw (reference) | {med['nchw']:.4f} | 1.000 |",
             f"| channels_last | {med['channels_last']:.4f} | {ratio:.3f} |", "",
             "| eval, 512 images | median s | ratio vs nchw |", "|---|---|---|",
             f"| nchw | {med['eval_512_nchw']:.4f} | 1.000 |",
             f"| channels_last | {med['eval_512_channels_last']:.4f} | {eval_ratio:.3f} |", "",
             "channels_last step parts (median ms): " + ", ".join(
                 f"{k} {v:.1f}" for k, v in part_ms.items())]
    print("\n".join(lines))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"speed_t{args.threads}.json").write_text(json.dumps(res, indent=1))
        (args.out / f"speed_t{args.threads}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
