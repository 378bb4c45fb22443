"""Shared fixtures: compose the real config with tiny settings and temporary paths."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

from da.config import CONF_DIR

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
# frozen-feature and token caches: one fresh folder per test session, never the user's cache
os.environ["DA_CACHE_DIR"] = tempfile.mkdtemp(prefix="da-test-cache-")
atexit.register(shutil.rmtree, os.environ["DA_CACHE_DIR"], ignore_errors=True)


def compose_cfg(overrides: list[str], output_dir: Path) -> DictConfig:
    """The real ``train`` config with ``debug=fast`` and paths under ``output_dir``."""
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        cfg = compose("train", overrides=["debug=fast", *overrides])
    with open_dict(cfg):
        cfg.paths.output_dir = str(output_dir)
        cfg.paths.log_dir = str(output_dir)
    return cfg


@pytest.fixture
def make_cfg(tmp_path):
    def _make(*overrides: str) -> DictConfig:
        return compose_cfg(list(overrides), tmp_path)

    return _make


def run_cli(args: list[str], cwd: Path | None = None, env: dict | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m da.train <args>`` in a subprocess, W&B offline, no progress bars."""
    full_env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true",
                "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run([sys.executable, "-m", "da.train", *args], cwd=cwd or ROOT,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


def method_spec(method: str) -> DictConfig:
    from omegaconf import OmegaConf

    return OmegaConf.load(Path(CONF_DIR) / "method" / f"{method}.yaml")


def has_loss_term(method: str) -> bool:
    """False for systems (``method.system``) that bring no loss plugin of their own."""
    return method_spec(method).get("loss") is not None


def method_overrides(method: str, tmp_path: Path, *base: str) -> list[str]:
    """What a method's ``needs:`` list asks for, made in ``tmp_path``: ``init_from`` (a
    source model of the default network, as a state dict) or a distillation ``teacher``."""
    import torch

    from da.build import build_family, build_module

    out = []
    for need in method_spec(method).get("needs") or []:
        if need in ("init_from", "teacher"):
            cfg = compose_cfg(["method=source_only", *base], tmp_path)
            path = tmp_path / "source_model.pt"
            torch.save(build_module(cfg, build_family(cfg)).net.state_dict(), path)
            out.append(f"init_from={path}" if need == "init_from"
                       else f"method.loss.teacher_path={path}")
        else:
            raise NotImplementedError(f"tests cannot provide {need!r} for method={method}")
    return out
