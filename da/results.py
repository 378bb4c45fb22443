"""``results.json``: one run's outcome, written atomically into its run directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from da.config import domains_label
from da.fileio import write_atomic

RESULTS_FILE = "results.json"
# the selected model's class probabilities on the target test split (float16, N x K), for
# selectors that compare the candidates of a sweep (EnsV, da/selection/sweep.py)
PROBS_FILE = "target_probs.npy"


def write_json_atomic(path: str | os.PathLike, data: dict[str, Any]) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`da.fileio.write_atomic`): readers never
    see a half-written file, and a crash leaves the old file intact."""
    text = json.dumps(data, indent=2, sort_keys=False, default=str)
    return write_atomic(path, lambda f: f.write(text.encode()))


def save_probs(path: str | os.PathLike, probs) -> Path:
    """``probs (N, K)`` as a float16 ``.npy`` (a few hundred kB for 10k x 10), atomically."""
    import numpy as np

    arr = np.asarray(probs, dtype=np.float16)
    return write_atomic(path, lambda f: np.save(f, arr))


def load_probs(path: str | os.PathLike):
    """The probabilities :func:`save_probs` wrote, as float32."""
    import numpy as np

    return np.load(path).astype(np.float32)


def read_results(path: str | os.PathLike) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)


# keys that name where a run writes or how it is shown, not what it computes
_HASH_EXCLUDE = ("paths", "force", "resume", "tags")
# nested keys that only change how a run shows or names its outputs, not what it computes (a
# sweep logged before such a key existed is still found complete when re-run)
_HASH_EXCLUDE_NESTED = (("trainer", "enable_progress_bar"),
                        ("callbacks", "model_checkpoint", "enable_version_counter"))
# keys added after runs were logged, at the value that computes what those runs computed: left
# out of the hash at that value, so adding an option does not make every logged run look new
_HASH_NEUTRAL = {("finetune", "freeze_bn"): False}


def platform_info(device: str = "cpu") -> dict[str, Any]:
    """What a run's numbers depend on beyond its config and versions: the CPU model, the
    vector instruction set torch dispatches its CPU kernels to, the accelerator and the
    thread count. One config gives bit-identical runs on one platform; on another CPU the
    kernels round differently and a long run drifts (see ``da-report --previous``)."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dev = torch.device(device)
    return {"cpu": cpu, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else dev.type,
            "torch_threads": torch.get_num_threads()}


def platform_label(info: dict[str, Any] | None) -> str | None:
    """``platform_info`` in one short string (a report column), or ``None``."""
    if not info:
        return None
    label = f"{info.get('cpu')} ({info.get('cpu_capability')}, {info.get('torch_threads')} thr)"
    return label if info.get("device") in (None, "cpu") else f"{info['device']}; {label}"


def config_hash(cfg) -> str:
    """A stable id of what a run computes: the *unresolved* config (so output paths and
    time stamps do not enter), without paths and run-control keys."""
    import hashlib

    from omegaconf import OmegaConf

    data = OmegaConf.to_container(cfg, resolve=False)
    for key in _HASH_EXCLUDE:
        data.pop(key, None)
    drop = [(path, None) for path in _HASH_EXCLUDE_NESTED] + list(_HASH_NEUTRAL.items())
    for (*parents, key), neutral in drop:
        node = data
        for p in parents:
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node and (
                neutral is None or node[key] == neutral):
            node.pop(key)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_identity(cfg, method: str) -> dict[str, Any]:
    """The keys every ``results.json`` of a completed run starts with: what was run, on what."""
    return {"status": "ok", "config_hash": config_hash(cfg), "task": cfg.task,
            "dataset": cfg.dataset.name, "source": domains_label(cfg.source), "target": cfg.target,
            "method": method, "seed": int(cfg.seed)}


def find_completed(root: str | os.PathLike, digest: str) -> Path | None:
    """A ``results.json`` under ``root`` with status ok and this config hash, if any."""
    root = Path(root)
    if not root.is_dir():
        return None
    for path in root.rglob(RESULTS_FILE):
        try:
            r = read_results(path)
        except (OSError, json.JSONDecodeError):
            continue
        # a copy made for another sweep is not an original (but an original overwritten by
        # a copy of itself, from older versions, names its own folder: still valid)
        copy = r.get("reused_from") and Path(r["reused_from"]).resolve() != path.parent.resolve()
        if r.get("status") == "ok" and r.get("config_hash") == digest and not copy:
            return path
    return None
