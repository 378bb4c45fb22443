"""``init_from``: start a network from a checkpoint or a saved state dict.

Accepted files: a Lightning checkpoint written by ``da.train`` (its ``state_dict`` holds
``net.*`` keys), or ``torch.save(net.state_dict())`` of a :class:`~da.nets.heads.DANetwork`.
Every key of the file must match the network in name and shape, except the classifier,
which keeps its fresh initialisation (a new head for a new label space, and the log says
so) when the class counts differ, when the checkpoint records other class ids than the
run's (``data.classes``: pretrain on digits 0-4, fine-tune on 5-9), or with
``finetune.new_head=true``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from da.errors import DAError

log = logging.getLogger(__name__)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The network weights stored at ``path`` (``net.`` prefix removed)."""
    return _read(path)[0]


def _read(path: str | Path) -> tuple[dict[str, torch.Tensor], list[int] | None]:
    """The weights and, for a da.train checkpoint, the class ids it was trained on."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DAError(f"init_from={path}: no such file; give a checkpoint written by da.train "
                      "(<run dir>/checkpoints/*.ckpt) or a saved state dict")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a corrupt file here
        raise DAError(f"init_from={path}: cannot be read as a torch checkpoint "
                      f"({type(err).__name__}); is the file complete?") from err
    state = blob.get("state_dict", blob) if isinstance(blob, dict) else None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise DAError(f"init_from={path}: holds no state dict of tensors; save one with "
                      "torch.save(net.state_dict(), path) or use a da.train checkpoint")
    if any(k.startswith("net.") for k in state):
        state = {k[4:]: v for k, v in state.items() if k.startswith("net.")}
    classes = blob.get("da_class_ids") if isinstance(blob, dict) else None
    return state, classes


def load_weights(net: nn.Module, path: str | Path, class_ids: list[int] | None = None,
                 new_head: bool = False) -> list[str]:
    """Copy the weights at ``path`` into ``net``; returns the keys left at their init.

    ``class_ids``: the run's classes; a checkpoint trained on others gets a new head.
    """
    state, saved_ids = _read(path)
    if new_head or (saved_ids is not None and class_ids is not None
                    and list(saved_ids) != list(class_ids)):
        state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
        log.info("init_from: new classifier head (checkpoint classes %s, run classes %s)",
                 saved_ids, class_ids)
    own = net.state_dict()
    unknown = sorted(set(state) - set(own))
    if unknown:
        raise DAError(f"init_from={path}: {len(unknown)} key(s) the network lacks (first: "
                      f"{unknown[0]}); was it trained with another backbone? match backbone=")
    fresh = []
    for key, value in state.items():
        if own[key].shape != value.shape:
            if key.startswith("classifier."):
                fresh.append(key)
                continue
            raise DAError(f"init_from={path}: {key} has shape {tuple(value.shape)} in the file "
                          f"but {tuple(own[key].shape)} here; use the same backbone and "
                          "model.bottleneck_dim as the run that wrote it")
        own[key] = value
    missing = sorted(set(own) - set(state) - set(fresh))
    net.load_state_dict(own)
    if fresh:
        log.info("init_from: class counts differ, so the classifier is new (%s)", ", ".join(fresh))
    if missing:
        log.info("init_from: %d key(s) not in the file keep their init (first: %s)",
                 len(missing), missing[0])
    return fresh + missing
