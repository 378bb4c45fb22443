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


def method_label(method) -> str:
    """``dann`` or, with extra terms stacked on it, ``dann+mcc+entropy``: what tables,
    run names and W&B groups call the method."""
    extras = method.get("extras") or {}
    return "+".join([str(method.name), *(str(e.get("name") or k) for k, e in extras.items())])


def files_domain(index, *args) -> str:
    """``${da.files_domain:0|1,source_path,target_path,source_x_key,target_x_key,source_name,
    target_name}``: the ``files`` dataset's source (0) or target (1) domain name."""
    from da.data.files import domain_names

    return domain_names(*(None if a is None else str(a) for a in args))[int(index)]


def domains_label(source) -> str:
    """``${da.domains:${source}}``: a domain name, or several (multi-source) joined by ``+``."""
    if isinstance(source, (list, tuple)) or OmegaConf.is_list(source):
        return "+".join(str(s) for s in source)
    return str(source)


def _register() -> None:
    if not OmegaConf.has_resolver("da.domains"):
        OmegaConf.register_new_resolver("da.domains", domains_label)
    if not OmegaConf.has_resolver("da.isatty"):
        OmegaConf.register_new_resolver("da.isatty", lambda: sys.stderr.isatty())
    if not OmegaConf.has_resolver("da.method_label"):
        OmegaConf.register_new_resolver("da.method_label", method_label)
    if not OmegaConf.has_resolver("da.files_domain"):
        OmegaConf.register_new_resolver("da.files_domain", files_domain)


_register()
CONF_DIR = str(conf_dir())
