"""Where the Hydra configs live, and the resolvers they use.

In a wheel the configs ship as ``da/conf``; in a source checkout they are ``conf/`` at
the repository root. Both are found here, so ``da-train`` works from any directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import OmegaConf

_PKG = Path(__file__).resolve().parent


def conf_dir() -> Path:
    for candidate in (_PKG / "conf", _PKG.parent / "conf"):
        if (candidate / "train.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"no Hydra configs found in {_PKG / 'conf'} or {_PKG.parent / 'conf'}")


def _register() -> None:
    if not OmegaConf.has_resolver("da.isatty"):
        OmegaConf.register_new_resolver("da.isatty", lambda: sys.stderr.isatty())


_register()
CONF_DIR = str(conf_dir())
