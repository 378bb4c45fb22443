"""The house: imports run one way, entry -> run -> results (issue 27, item 6)."""

from __future__ import annotations

import ast
from pathlib import Path

import da

PKG = Path(da.__file__).parent


def _imports(module: str) -> set[str]:
    """Every ``da.*`` module ``module`` imports, at top level or inside functions."""
    tree = ast.parse((PKG / (module.replace("da.", "", 1).replace(".", "/") + ".py")).read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("da"):
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("da")}
    return out


def test_nothing_imports_the_entry_point():
    for path in PKG.rglob("*.py"):
        mod = "da." + ".".join(path.relative_to(PKG).with_suffix("").parts)
        if mod in ("da.train", "da.__main__"):
            continue
        assert "da.train" not in _imports(mod), f"{mod} imports the entry point da.train"


def test_the_run_and_the_shallow_runner_do_not_import_each_other_back():
    assert "da.run" not in _imports("da.shallow.runner")
    assert "da.run" not in _imports("da.checks") and "da.run" not in _imports("da.results")
    assert "da.shallow.runner" in _imports("da.run")  # run -> shallow runner, one way
