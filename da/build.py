"""Turn a composed config into the objects of one run (no Trainer logic here)."""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig

from da.data.base import DomainFamily
from da.data.datamodule import DADataModule
from da.errors import DAError
from da.module import DAModule, LossTerm
from da.nets.finetune import apply_finetune
from da.nets.heads import DANetwork
from da.nets.init import initialise, initialise_part, parse_parts
from da.nets.pretrained import load_weights


def build_family(cfg: DictConfig) -> DomainFamily:
    family = instantiate(cfg.dataset.family)
    family.check_task(str(cfg.source), str(cfg.target))
    return family


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


def build_module(cfg: DictConfig, family: DomainFamily) -> DAModule:
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
                                bool(ft.get("freeze_bottleneck", False)))
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
    return DADataModule(family, str(cfg.source), str(cfg.target), seed=int(cfg.seed), **cfg.data)
