"""Installed versions of the declared dependencies lie within pyproject.toml's ranges.

Lightning upgrades have silently broken other adaptation libraries; this fails loudly
instead when the environment drifts out of the tested ranges.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT

DEPS = [Requirement(r) for r in
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]


@pytest.mark.parametrize("req", DEPS, ids=lambda r: r.name)
def test_installed_version_in_declared_range(req):
    try:
        installed = version(req.name)
    except PackageNotFoundError:
        pytest.fail(f"{req.name} is declared in pyproject.toml but not installed")
    assert req.specifier.contains(installed, prereleases=True), \
        f"{req.name} {installed} is outside the declared range {req.specifier}"


def test_core_stack_is_declared():
    names = {r.name for r in DEPS}
    assert {"torch", "lightning", "hydra-core", "torchmetrics", "wandb"} <= names
