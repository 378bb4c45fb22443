"""Stand-in for ``timm`` (pytorch-image-models), which this project does not install.

TLlib's ``examples/domain_adaptation/image_classification/utils.py`` imports ``timm`` at the top
and calls ``timm.list_models()`` to list extra ``-a`` choices; it only builds a timm network
(``timm.create_model``) for architectures that are not in ``tllib.vision.models``. The digits
runs use ``-a lenet`` (``tllib.vision.models.lenet``), so no timm code is ever reached.
"""


def list_models(*args, **kwargs):
    return []


def create_model(name, *args, **kwargs):
    raise SystemExit(f"timm is stubbed here (see tllib_reference/README.md); "
                     f"architecture {name!r} needs the real timm")
