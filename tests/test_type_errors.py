"""Config values of the wrong type: one line on stderr, exit code 2, nothing written (CLI)."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(("arg", "message"), [
    ("seed=abc", "error: seed must be an integer, got 'abc' (str); e.g. seed=0"),
    ("trainer.max_steps=ten", "error: trainer.max_steps must be an integer, got 'ten' (str)"),
    ("data.batch_size=32.5", "error: data.batch_size must be an integer, got 32.5 (float)"),
])
def test_type_error_is_one_line_and_exit_2(arg, message, tmp_path):
    proc = run_cli(["debug=fast", f"paths.log_dir={tmp_path}", arg])
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), proc.stderr[-2000:]
    assert not list(tmp_path.rglob("results.json")) and not list(tmp_path.rglob("*.ckpt"))
    assert not list(tmp_path.rglob("metrics.csv"))
