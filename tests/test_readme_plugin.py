"""The README's external loss plugin, run exactly as written (files and command)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _readme_example() -> tuple[dict[str, str], str]:
    files, command = {}, None
    for _lang, body in FENCE.findall((ROOT / "README.md").read_text()):
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            files[first.removeprefix("# file: ").strip()] = rest
        elif first.startswith("# run:"):
            command = rest.strip()
    assert files and command, "README lost its plugin example (# file: / # run: blocks)"
    return files, command


def test_readme_plugin_example_runs_outside_the_package(tmp_path):
    files, command = _readme_example()
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env_part, _, args = command.partition(" da-train ")
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", DA_LOG_DIR=str(tmp_path / "logs"))
    for assignment in shlex.split(env_part):
        k, v = assignment.split("=", 1)
        env[k] = v
    exe = Path(sys.executable).with_name("da-train")
    proc = subprocess.run([str(exe), *shlex.split(args), "logger=csv"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (result,) = [json.loads(p.read_text()) for p in (tmp_path / "logs").rglob("results.json")]
    assert result["method"] == "mean_match"
    metrics = next((tmp_path / "logs").rglob("metrics.csv")).read_text()
    assert "train/mean_match/gap" in metrics  # the plugin's own log reached the logger
