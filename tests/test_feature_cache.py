"""The frozen-feature cache: its key, corruption, atomic writes, and cached = uncached runs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from da.features.cache import FeatureCache, cache_key
from tests.conftest import compose_cfg

pytest.importorskip("timm", reason="timm is not installed: pip install 'da[pretrained]'")


def _calls():
    n = {"k": 0}

    def compute():
        n["k"] += 1
        return torch.arange(12, dtype=torch.float32).reshape(3, 4) * n["k"]

    return n, compute


PARTS = {"backbone": {"arch": "a", "weights": "w1", "frozen_blocks": "all"},
         "inputs": {"files": "f1", "transform": "t1"}, "n": 3}


def test_same_parts_hit_and_any_changed_part_misses(tmp_path):
    cache = FeatureCache(tmp_path)
    n, compute = _calls()
    a = cache.get(PARTS, compute)
    b = cache.get(json.loads(json.dumps(PARTS)), compute)  # equal parts, another object
    assert n["k"] == 1 and torch.equal(a, b) and (cache.hits, cache.misses) == (1, 1)
    for path in (("backbone", "weights"), ("backbone", "frozen_blocks"), ("inputs", "files"),
                 ("inputs", "transform")):
        changed = json.loads(json.dumps(PARTS))
        changed[path[0]][path[1]] = "other"
        assert cache_key(changed) != cache_key(PARTS)
        cache.get(changed, compute)
    assert n["k"] == 5 and len(list(tmp_path.glob("*.pt"))) == 5
    assert not list(tmp_path.glob("*.tmp"))  # atomic: no temporary file left behind


def test_the_image_key_follows_file_contents_not_modification_times(tmp_path):
    """A re-provisioned or copied dataset (same bytes, new mtimes) must hit; an edited image,
    an added image or another transform must miss."""
    import os

    from da.data.images import ImageFiles

    for i in range(3):
        Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / f"{i}.png")
    paths = np.array([f"{i}.png".encode() for i in range(3)])
    files = ImageFiles(tmp_path, paths, None, "t")
    spec = files.cache_spec()
    os.utime(tmp_path / "1.png", ns=(10**18, 10**18))  # touched: same bytes, new mtime
    assert ImageFiles(tmp_path, paths, None, "t").cache_spec() == spec
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(tmp_path / "1.png")  # edited
    edited = ImageFiles(tmp_path, paths, None, "t").cache_spec()
    assert edited["files"] != spec["files"]
    assert ImageFiles(tmp_path, paths[:2], None, "t").cache_spec()["files"] != edited["files"]
    assert ImageFiles(tmp_path, paths, None, "u").cache_spec() != edited


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_corrupt_entry_is_detected_and_rebuilt(tmp_path, damage, caplog):
    cache = FeatureCache(tmp_path)
    n, compute = _calls()
    first = cache.get(PARTS, compute)
    path = cache.path(PARTS)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # one byte of the tensor's storage: loads, but the checksum differs
        blob = torch.load(path, weights_only=True)
        blob["tensor"][1, 2] += 1
        torch.save(blob, path)
    else:
        path.write_bytes(b"not a tensor")
    with caplog.at_level(logging.WARNING, logger="da.cache"):
        again = cache.get(PARTS, compute)
    assert n["k"] == 2 and "rebuilding" in caplog.text
    assert torch.equal(again, first * 2)  # computed anew (the counter doubles the values)
    assert torch.equal(cache.get(PARTS, compute), again) and n["k"] == 2  # and stored sound


def test_a_disabled_cache_computes_every_time_and_writes_nothing(tmp_path):
    cache = FeatureCache(tmp_path / "c", enabled=False)
    n, compute = _calls()
    cache.get(PARTS, compute)
    cache.get(PARTS, compute)
    assert n["k"] == 2 and not (tmp_path / "c").exists()


def _images(root: Path, n: int = 12) -> Path:
    for d, dom in enumerate(("photo", "sketch")):
        for c, cls in enumerate(("cat", "dog")):
            for i in range(n):
                rng = np.random.default_rng(1000 * d + 100 * c + i)
                px = rng.integers(0, 120, (40, 40, 3), dtype=np.uint8) + 100 * c
                (root / dom / cls).mkdir(parents=True, exist_ok=True)
                Image.fromarray(px.astype(np.uint8)).save(root / dom / cls / f"{i}.png")
    return root


def _run(tmp_path: Path, name: str, *extra: str) -> dict:
    """A 12-step frozen EfficientNet-Lite0 (random weights, 32 px) run, in this process."""
    from da.train import run

    data = tmp_path / "imgs"
    if not data.exists():
        _images(data)
    cfg = compose_cfg(["dataset=images", f"dataset.root={data}", "source=photo",
                       "target=sketch", "backbone=efficientnet_lite0", "backbone.weights=null",
                       "finetune=frozen", "dataset.resize_size=36", "dataset.crop_size=32",
                       "trainer.max_steps=12", "trainer.val_check_interval=6",
                       "data.batch_size=8", "logger=csv", "num_threads=1",
                       f"paths.cache_dir={tmp_path / 'cache'}", *extra], tmp_path / name)
    return run(cfg)


def test_a_cached_run_equals_an_uncached_one_and_the_second_run_hits(tmp_path, caplog):
    uncached = _run(tmp_path, "uncached", "features.cache=false")
    assert not (tmp_path / "cache").exists()  # the backbone ran in every step
    with caplog.at_level(logging.INFO, logger="da.cache"):
        cached = _run(tmp_path, "cached")
    entries = sorted((tmp_path / "cache").glob("*.pt"))
    assert len(entries) == 2  # one per domain (train and test are the same files)
    assert caplog.text.count("feature cache: building") == 2
    for key in ("target_acc", "target_acc_last", "source_acc", "target_acc_oracle"):
        assert cached[key] == pytest.approx(uncached[key], abs=1e-6), key
    losses = [(a.get("val/source/loss"), b.get("val/source/loss"))
              for a, b in zip(cached["history"], uncached["history"], strict=True)]
    assert losses and all(a == pytest.approx(b, rel=1e-4) for a, b in losses)
    mtimes = [p.stat().st_mtime_ns for p in entries]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="da.cache"):
        again = _run(tmp_path, "again", "seed=1")
    assert "feature cache: building" not in caplog.text
    assert [p.stat().st_mtime_ns for p in entries] == mtimes
    assert again["status"] == "ok" and again["steps"] == 12
    # the key follows the input transform: another crop size misses
    with caplog.at_level(logging.INFO, logger="da.cache"):
        _run(tmp_path, "crop", "dataset.crop_size=28", "trainer.max_steps=2",
             "trainer.val_check_interval=2")
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 4


def test_shallow_methods_run_on_cached_pretrained_features(tmp_path):
    pytest.importorskip("skada", reason="skada is not installed: pip install 'da[shallow]'")
    res = _run(tmp_path, "sk", "method=sk_coral")
    assert res["status"] == "ok" and 0.0 <= res["target_acc"] <= 1.0
    assert res["config"]["finetune"]["mode"] == "frozen"


def test_partial_fine_tuning_over_the_cached_frozen_prefix_equals_the_uncached_run(tmp_path):
    """finetune=partial blocks=1 without augmentation: the first 6 stages are cached, stage 7
    + head train; the same numbers as running the whole backbone every step."""
    common = ("finetune=partial", "finetune.blocks=1", "dataset.augment=false",
              "trainer.max_steps=4", "trainer.val_check_interval=4")
    uncached = _run(tmp_path, "p_uncached", *common, "features.cache=false")
    cached = _run(tmp_path, "p_cached", *common)
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 2
    for key in ("target_acc", "source_acc"):
        assert cached[key] == pytest.approx(uncached[key], abs=1e-6), key
    a, b = cached["history"][-1], uncached["history"][-1]
    assert a["val/source/loss"] == pytest.approx(b["val/source/loss"], rel=1e-3)


def test_a_source_free_method_starts_from_a_cached_runs_checkpoint_and_keeps_the_cache(
        tmp_path, caplog):
    """SHOT's init_from a cached source-only run: the checkpoint holds no backbone weights,
    so the cached features serve the adaptation run too."""
    src = _run(tmp_path, "src")
    ckpt = src["selection"]["checkpoint"]
    with caplog.at_level(logging.INFO):
        res = _run(tmp_path, "shot", "method=shot", f"init_from={ckpt}")
    assert res["status"] == "ok" and "runs in every step" not in caplog.text
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 2  # no new entry
