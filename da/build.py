"""Turn a composed config into the objects of one run (no Trainer logic here)."""

from __future__ import annotations

import copy
import logging
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from da.data.base import DomainFamily
from da.data.datamodule import DADataModule
from da.errors import DAError
from da.features.cache import FeatureCache
from da.features.frozen import FrozenFeatures
from da.module import DAModule, LossTerm
from da.nets.finetune import apply_finetune
from da.nets.heads import DANetwork
from da.nets.init import initialise, initialise_part, parse_parts
from da.nets.pretrained import load_weights, read_state_dict

log = logging.getLogger("da")


def build_family(cfg: DictConfig) -> DomainFamily:
    """The dataset family; seen through the frozen backbone's cached outputs where
    :func:`frozen_features` applies."""
    kwargs = {}
    if "augment" in cfg.dataset.family:
        kwargs["augment"] = resolve_augment(cfg)
    # instantiated from a copy: Hydra resolves a node reached through an interpolation
    # (`inputs: ${oc.select:backbone.inputs,null}`) in place, which changed `cfg`, and with it
    # the config hash that a re-run sweep matches to skip completed jobs
    family = instantiate(copy.deepcopy(cfg).dataset.family, **kwargs)
    for src in source_domains(cfg):
        family.check_task(src, str(cfg.target))
    return frozen_features(cfg, family) or family


def source_domains(cfg: DictConfig) -> list[str]:
    """``source=a`` or ``source=[a,b,c]`` (multi-source) as a list of domain names."""
    src = cfg.source
    names = [str(s) for s in src] if OmegaConf.is_list(src) or isinstance(src, list) else [str(src)]
    if not names:
        raise DAError("source=[] names no domain; give source=<domain> or source=[a,b]")
    if len(set(names)) != len(names):
        raise DAError(f"source={names} names a domain twice; list each source domain once")
    return names


def resolve_augment(cfg: DictConfig) -> bool:
    """``dataset.augment``: ``auto`` is off under ``finetune=frozen`` (a frozen backbone's
    features are then computed once and cached) and on otherwise."""
    aug = cfg.dataset.get("augment", "auto")
    if aug == "auto":
        return str((cfg.get("finetune") or {}).get("mode", "full")) != "frozen"
    if not isinstance(aug, bool):
        raise DAError(f"dataset.augment={aug!r} must be true, false or auto")
    return aug


def frozen_features(cfg: DictConfig, family: DomainFamily) -> FrozenFeatures | None:
    """The family seen through the backbone's frozen part, when it has one, the backbone can
    be split (``split`` / ``cache_spec``), ``features.cache`` is on and the inputs are not
    augmented; else ``None``. See :mod:`da.features.frozen`."""
    ft = cfg.get("finetune") or {}
    mode = str(ft.get("mode", "full"))
    feats = cfg.get("features") or {}
    if mode == "full" or not feats.get("cache", True):
        return None
    if cfg.get("init_from") and any(
            k.startswith("backbone.") for k in read_state_dict(str(cfg.init_from))):
        log.info("features: init_from=%s holds backbone weights, so the backbone runs in every "
                 "step (a checkpoint of a cached run holds none and keeps the cache)",
                 cfg.init_from)
        return None
    if getattr(family, "augment", False):
        log.info("features: the training transform is random (dataset.augment=true), so the "
                 "frozen backbone runs in every step; dataset.augment=false caches its outputs")
        return None
    if not _splittable(str(cfg.backbone._target_)):
        return None  # decided from the class, so no weights are loaded twice
    backbone = instantiate(cfg.backbone, input_shape=list(family.input_shape))
    trainable = 0 if mode == "frozen" else int(ft.get("blocks") or 1)
    prefix, rest = backbone.split(trainable)
    spec = {**backbone.cache_spec(), "frozen_blocks": "all" if trainable == 0 else -trainable}
    cache = FeatureCache(cfg.paths.get("cache_dir"), enabled=bool(feats.get("store", True)))
    torch.set_num_threads(int(cfg.get("num_threads") or torch.get_num_threads()))
    return FrozenFeatures(family, prefix, rest, spec, cache,
                          batch_size=int(feats.get("batch_size", 64)),
                          num_workers=int(cfg.data.get("num_workers", 0)),
                          progress=bool(feats.get("progress", True)))


def build_terms(method: DictConfig, feature_dim: int, num_classes: int) -> dict[str, LossTerm]:
    """The method's own term plus any ``method.extras`` (same shape: loss, weight, schedule)."""
    # a system (method.system) may bring no loss term of its own (method.loss: null)
    specs: dict[str, Any] = {method.name: method} if method.get("loss") else {}
    for key, extra in (method.get("extras") or {}).items():
        specs[extra.get("name", key)] = extra
    terms = {}
    for name, spec in specs.items():
        if "." in str(name) or not str(name):
            raise DAError(f"method name {str(name)!r} cannot be used as a loss term's name (it "
                          "must be non-empty without '.'); rename it, e.g. "
                          f"method.name={str(name).replace('.', '_') or 'mine'}")
        loss = instantiate(spec.loss)(feature_dim=feature_dim, num_classes=num_classes)
        schedule = instantiate(spec.schedule) if spec.get("schedule") else None
        terms[name] = LossTerm(loss, float(spec.get("weight", 1.0)), schedule)
    return terms


def check_batch(terms: dict[str, LossTerm], batch_size: int, world_size: int) -> None:
    per = batch_size // max(world_size, 1)
    for name, term in terms.items():
        need = getattr(term.loss, "min_batch_size", 1)
        if per < need:
            raise DAError(f"method term {name!r} needs at least {need} samples per domain and "
                          f"process, but data.batch_size={batch_size} over {world_size} "
                          f"process(es) gives {per}; raise data.batch_size")


def num_classes(cfg: DictConfig, family: DomainFamily) -> int:
    """The family's class count, or that of the ``data.classes`` subset."""
    classes = cfg.data.get("classes")
    return len(classes) if classes else family.num_classes


def _splittable(target: str) -> bool:
    """Whether ``_target_`` (a class, or a factory annotated with the class it returns)
    builds a backbone with ``split`` and ``cache_spec``."""
    from typing import get_type_hints

    from hydra.utils import get_object

    try:
        obj = get_object(target)
        cls = obj if isinstance(obj, type) else get_type_hints(obj).get("return")
    except Exception:  # noqa: BLE001 - an unknown target fails later with its own error
        return False
    return isinstance(cls, type) and hasattr(cls, "split") and hasattr(cls, "cache_spec")


def build_module(cfg: DictConfig, family: DomainFamily) -> DAModule:
    if isinstance(family, FrozenFeatures):  # the frozen part lives in the cached inputs
        backbone = family.rest
    else:
        backbone = instantiate(cfg.backbone, input_shape=list(family.input_shape))
    k = num_classes(cfg, family)
    net = DANetwork(backbone, k, cfg.model.bottleneck_dim, cfg.model.bottleneck_bn,
                    tuple(cfg.model.get("head_hidden") or ()), float(cfg.model.get("dropout", 0.0)),
                    channels_last=bool(cfg.model.get("channels_last", False))
                    and len(family.input_shape) == 3)
    classes = [int(c) for c in (cfg.data.get("classes") or range(family.num_classes))]
    # model.init: the network (before init_from) and the terms' own modules (discriminators)
    init = (str(cfg.model.get("init", "torch")), float(cfg.model.get("init_std", 0.1)),
            float(cfg.model.get("init_bias", 0.1)))
    initialise([net], *init)
    parts = parse_parts(cfg.model.get("init_parts"))
    for part in ("backbone", "bottleneck", "classifier"):
        if part in parts:
            initialise_part([getattr(net, part)], *parts[part])
    ft = cfg.get("finetune") or {}
    if cfg.get("init_from"):
        load_weights(net, str(cfg.init_from), class_ids=classes,
                     new_head=bool(ft.get("new_head", False)))
    net.frozen = apply_finetune(net, str(ft.get("mode", "full")), int(ft.get("blocks") or 1),
                                bool(ft.get("freeze_bottleneck", False)),
                                bool(ft.get("freeze_bn", False)))
    if cfg.model.get("compile"):
        net.compile()  # in place: parameter names and checkpoints stay those of `net`
    terms = build_terms(cfg.method, net.feature_dim, k)
    initialise([t.loss for t in terms.values()], *init)
    if "terms" in parts:
        initialise_part([t.loss for t in terms.values()], *parts["terms"])
    # a method may bring its own training system (alternating updates, source-free, ...):
    # `method.system` is a partial LightningModule class taking DAModule's arguments
    system = instantiate(cfg.method.system) if cfg.method.get("system") else DAModule
    module = system(net=net, terms=terms, optimizer=instantiate(cfg.optim.optimizer),
                    backbone_lr_mult=cfg.optim.backbone_lr_mult,
                    lr_anneal=cfg.optim.lr_anneal,
                    guard_nonfinite=cfg.get("guard_nonfinite", True),
                    validators=tuple(cfg.get("validators", ())),
                    horizon_steps=cfg.get("horizon_steps"))
    module.class_ids = classes
    return module


def build_datamodule(cfg: DictConfig, family: DomainFamily) -> DADataModule:
    srcs = source_domains(cfg)
    return DADataModule(family, srcs if len(srcs) > 1 else srcs[0], str(cfg.target),
                        seed=int(cfg.seed), **cfg.data)
