"""A 3 methods x 3 seeds sweep with one job made to fail -> tables, plots, HTML report;
the failed job is listed; re-running the sweep runs only that job; the page renders in
headless Chromium."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from da.report.cli import main as report
from tests.conftest import run_cli

FAIL = ["+callbacks.fail._target_=tests.kill_callback.FailFor", "+callbacks.fail.method=${method.name}",
        "+callbacks.fail.seed=${seed}", "+callbacks.fail.fail_method=dann", "+callbacks.fail.fail_seed=2"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    args = ["-m", "debug=fast", "trainer.max_steps=20", "trainer.val_check_interval=10",
            "method=source_only,mmd,dann", "seed=0,1,2", f"paths.log_dir={root}", *FAIL]
    first = run_cli([*args, f"hydra.sweep.dir={root}/first"], timeout=600)
    assert first.returncode != 0  # Hydra reports the failed job after running all of them
    second = run_cli([*args, f"hydra.sweep.dir={root}/second"], timeout=600)
    return root, first, second


def test_failed_job_listed_and_rerun_runs_only_it(sweep, capsys):
    root, _, second = sweep
    assert len(list((root / "first").rglob("results.json"))) == 9
    rerun = [p.read_text() for p in (root / "second").rglob("results.json")]
    assert len(rerun) == 9  # the 8 completed ones are copied, marked "reused_from"
    assert sum("reused_from" in t for t in rerun) == 8
    assert sum("injected failure" in t for t in rerun) == 1
    assert (second.stdout + second.stderr).count("skipping: the same config") == 8
    assert report([str(root / "first")]) == 0
    out = capsys.readouterr().out
    assert "| dann | 2 (1 failed) |" in out and "(1 failed)" in out
    page = (root / "first" / "report.html").read_text()
    assert "Failed runs (1)" in page and "injected failure" in page
    for name in ("accuracy", "learning_curves", "validators_vs_oracle", "discriminator"):
        assert (root / "first" / "figures" / f"{name}.png").stat().st_size > 5000
    assert (root / "first" / "results.tex").read_text().count(r"\\") >= 4


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="chromium not installed (.ci/run installs Debian's chromium)")
def test_html_report_renders_in_headless_chromium(sweep, tmp_path):
    root = sweep[0]
    report([str(root / "first"), "--out", str(tmp_path)])
    page = tmp_path / "report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400"]
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, text=True, timeout=120, check=True)
    assert shot.stat().st_size > 20000  # a rendered page with figures, not a blank one
    dom = subprocess.run(["chromium", *flags, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert dom.count("<table") >= 2 and dom.count("data:image/png;base64,") == 4
    assert "skdigits:clean-&gt;shifted" in dom
