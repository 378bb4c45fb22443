"""A method's declared hyperparameter grid, expanded into estimator configs."""

from __future__ import annotations

import importlib
import itertools
from typing import Any

from omegaconf import DictConfig, OmegaConf

from da.errors import DAError

INSTALL_HINT = {"skada": "pip install 'da[shallow]'", "ot": "pip install 'da[shallow]'"}


def points(grid: DictConfig | None) -> list[dict[str, Any]]:
    """Every combination of ``{dotted.path: [values]}`` (in order; ``[{}]`` when empty)."""
    grid = OmegaConf.to_container(grid, resolve=True) if grid else {}
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise DAError(f"method.shallow.grid.{key} must be a non-empty list of values, "
                          f"got {values!r}")
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(grid[k] for k in keys))]


def with_params(estimator: DictConfig, params: dict[str, Any], method: str) -> DictConfig:
    """A copy of the estimator config with each ``dotted.path`` set (it must exist)."""
    cfg = OmegaConf.create(OmegaConf.to_container(estimator, resolve=True))
    for key, value in params.items():
        if OmegaConf.select(cfg, key, default="<missing>") == "<missing>":
            raise DAError(f"method={method}: grid key {key!r} names no option of "
                          "method.shallow.estimator; grid keys are paths inside it, e.g. "
                          "base_estimator.C")
        OmegaConf.update(cfg, key, value, merge=False)
    return cfg


def targets(node: Any) -> list[str]:
    """Every ``_target_`` in a config tree."""
    if isinstance(node, dict):
        own = [node["_target_"]] if isinstance(node.get("_target_"), str) else []
        return own + [t for v in node.values() for t in targets(v)]
    if isinstance(node, list):
        return [t for v in node for t in targets(v)]
    return []


def require_packages(estimator: DictConfig, method: str) -> None:
    """One-line error, before any data is read, when a package the estimator needs is absent."""
    for root in dict.fromkeys(t.split(".")[0] for t in targets(
            OmegaConf.to_container(estimator, resolve=False))):
        try:
            importlib.import_module(root)
        except ImportError:
            hint = INSTALL_HINT.get(root, f"pip install {root}")
            raise DAError(f"method={method} needs the optional package '{root}', which is not "
                          f"installed: {hint}") from None
