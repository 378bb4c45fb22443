"""The built wheel ships the Hydra configs; da-train works from outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_contains_configs_and_runs_outside_repo(tmp_path):
    wheel_dir, site = tmp_path / "wheel", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT),
                    "-w", str(wheel_dir)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheel_dir.glob("da-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for cfg in ("da/conf/train.yaml", "da/conf/method/dann.yaml", "da/conf/dataset/skdigits.yaml"):
        assert cfg in names
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    code = "import da, sys; sys.argv = ['da-train', '--cfg', 'job', 'method=dann']; " \
           "print(da.__file__); from da.train import main; main()"
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines()[0].startswith(str(site))  # the wheel's copy ran
    assert "_target_: da.losses.dann.DANNLoss" in proc.stdout


def test_console_script_from_another_directory(tmp_path):
    exe = Path(sys.executable).with_name("da-train")
    proc = subprocess.run([str(exe), "--cfg", "job", "method=mmd"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "name: mmd" in proc.stdout
