"""Step time of a frozen-backbone PACS run with and without the feature cache, in one process.

Both variants are the recipe ``experiment=pacs_lite0_frozen`` (photo -> sketch, source_only or
``--method``), built by ``da.build`` exactly as ``da-train`` builds them; ``features.cache=false``
runs the frozen EfficientNet-Lite0 in every step on decoded images. Rounds alternate the two
variants (a block of uncached steps, then a block of cached ones), so drifts of a shared machine
hit both alike. A step is timed from one ``on_train_batch_start`` to the next (fetch, decode,
forward, backward, optimizer step, logging), as ``da-bench`` does; the report gives the median
step time per variant and the ratio. The cache entries must exist (run the study once) or the
first cached build is excluded from the timing anyway (it happens before ``fit``).

    .venv/bin/python experiments/2026-12-07_pacs_lite0_frozen/cache_bench.py --out DIR
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import lightning as L
import torch
from hydra import compose, initialize_config_dir

from da.build import build_datamodule, build_family, build_module
from da.config import CONF_DIR


class _Clock(L.Callback):
    def __init__(self) -> None:
        self.t: list[float] = []

    def on_train_batch_start(self, *args) -> None:
        self.t.append(time.perf_counter())


def step_times(cached: bool, steps: int, overrides: list[str], seed: int) -> list[float]:
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        cfg = compose("train", overrides=["experiment=pacs_lite0_frozen", "source=photo",
                                          "target=sketch", f"features.cache={str(cached).lower()}",
                                          f"seed={seed}", *overrides])
    torch.set_num_threads(int(cfg.num_threads))
    L.seed_everything(seed)
    family = build_family(cfg)
    module, dm = build_module(cfg, family), build_datamodule(cfg, family)
    clock = _Clock()
    trainer = L.Trainer(max_steps=steps + 1, accelerator="cpu", logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0,
                        limit_val_batches=0, callbacks=[clock])
    trainer.fit(module, datamodule=dm)
    return [b - a for a, b in zip(clock.t[1:], clock.t[2:], strict=False)]  # skip the first


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--uncached-steps", type=int, default=6)
    p.add_argument("--cached-steps", type=int, default=200)
    p.add_argument("--method", default="source_only")
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args()
    over = [f"method={a.method}"]
    rows = []
    for r in range(a.rounds):
        un = statistics.median(step_times(False, a.uncached_steps, over, r))
        ca = statistics.median(step_times(True, a.cached_steps, over, r))
        rows.append({"round": r, "uncached_s": un, "cached_s": ca, "ratio": un / ca})
        print(f"round {r}: uncached {un * 1e3:.1f} ms/step, cached {ca * 1e3:.2f} ms/step, "
              f"ratio {un / ca:.0f}x", flush=True)
    summary = {"median_uncached_s": statistics.median(r["uncached_s"] for r in rows),
               "median_cached_s": statistics.median(r["cached_s"] for r in rows),
               "median_ratio": statistics.median(r["ratio"] for r in rows),
               "rounds": rows, "method": a.method, "threads": torch.get_num_threads(),
               "batch": "32 source + 32 target", "task": "pacs photo->sketch"}
    print(f"median ratio uncached/cached: {summary['median_ratio']:.0f}x")
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "cache_bench.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
