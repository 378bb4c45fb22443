"""Part of the ``timm`` stand-in: TLlib imports these names; only ``--auto-augment`` (not used
by the digits recipes) would call them."""


def auto_augment_transform(*args, **kwargs):
    raise SystemExit("timm is stubbed here: auto-augment needs the real timm")


def rand_augment_transform(*args, **kwargs):
    raise SystemExit("timm is stubbed here: rand-augment needs the real timm")
