"""Every option of every config group composes, and its objects instantiate."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from da.build import build_datamodule, build_family, build_module
from da.config import CONF_DIR
from tests.conftest import compose_cfg, method_overrides

CONF = Path(CONF_DIR)
# groups whose options only matter to Hydra's launcher/sweeper (composed, not instantiated here)
HYDRA_SIDE = {"hparams_search", "launcher", "hydra", "paths"}


def _options() -> list[tuple[str, str]]:
    out = []
    for group in sorted(p for p in CONF.iterdir() if p.is_dir()):
        for f in sorted(group.glob("*.yaml")):
            out.append((group.name, f.stem))
    return out


def _protocol_method(option: str) -> tuple[str, str]:
    """``protocol_method/<protocol>_<method>.yaml`` -> ``(protocol, method)``: it is not chosen
    on the command line but loaded by ``protocol=<protocol> method=<method>``."""
    for proto in sorted((f.stem for f in (CONF / "protocol").glob("*.yaml")), key=len,
                        reverse=True):
        if option.startswith(f"{proto}_"):
            return proto, option[len(proto) + 1:]
    raise AssertionError(f"protocol_method/{option}.yaml names no conf/protocol/*.yaml")


def _assert_applied(path: Path, cfg) -> None:
    """Every value the file sets is the composed config's value."""
    from omegaconf import OmegaConf

    def leaves(node, prefix=""):
        for k, v in node.items():
            if not prefix and k == "defaults":  # Hydra's composition list, not a value
                continue
            key = f"{prefix}{k}"
            if isinstance(v, dict) and v:
                yield from leaves(v, f"{key}.")
            else:
                yield key, v

    for key, value in leaves(OmegaConf.to_container(OmegaConf.load(path))):
        got = OmegaConf.select(cfg, key)
        got = OmegaConf.to_container(got) if OmegaConf.is_config(got) else got
        assert got == value, f"{path.name}: {key} is {got!r}, the file sets {value!r}"


def _select(group: str, option: str) -> list[str]:
    if group == "protocol_method":
        proto, method = _protocol_method(option)
        return [f"protocol={proto}", f"method={method}"]
    return [f"{group}={option}"]


def _inputs(group: str, option: str, tmp_path: Path) -> list[str]:
    """Overrides an option cannot build without (dataset=files needs the user's files;
    a method's `needs:`, e.g. init_from for shot)."""
    if group == "protocol_method":
        return method_overrides(_protocol_method(option)[1], tmp_path)
    if group == "method":
        return method_overrides(option, tmp_path)
    if group == "backbone" and option in ("bow", "hf", "minilm") or (group, option) == (
            "dataset", "text"):  # text backbones read text: two tiny CSV domains
        from tests.text_data import text_overrides

        return text_overrides(tmp_path, option if group == "backbone" else "bow")
    if (group, option) != ("dataset", "files"):
        return []
    import numpy as np

    np.savez(tmp_path / "d.npz", x=np.zeros((4, 3), np.float32), y=np.arange(4) % 2)
    return [f"dataset.source_path={tmp_path / 'd.npz'}", f"dataset.target_path={tmp_path / 'd.npz'}"]


def _image_inputs(group: str, option: str, tmp_path: Path) -> list[str]:
    """dataset=images needs the user's images (an 8x8 PNG per class and domain here); the
    ImageNet weights of office31_resnet50 need a download, impossible in the tests."""
    if (group, option) == ("dataset", "images"):
        import numpy as np
        from PIL import Image

        for dom in ("photo", "sketch"):
            for cls in ("cat", "dog"):
                (tmp_path / "imgs" / dom / cls).mkdir(parents=True)
                Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(
                    tmp_path / "imgs" / dom / cls / "0.png")
        return [f"dataset.root={tmp_path / 'imgs'}", "source=photo", "target=sketch"]
    if (group, option) == ("experiment", "office31_resnet50"):
        return ["backbone.weights=null"]
    if group == "backbone" and (option.startswith("efficientnet") or option == "timm"):
        return [*_image_inputs("dataset", "images", tmp_path), "dataset=images",
                "dataset.resize_size=36", "dataset.crop_size=32"]
    if (group, option) in (("dataset", "pacs"), ("experiment", "pacs_lite0_frozen")):
        import numpy as np
        from PIL import Image

        for dom in ("photo", "sketch"):
            for cls in ("dog", "elephant", "giraffe", "guitar", "horse", "house", "person"):
                (tmp_path / "pacs" / dom / cls).mkdir(parents=True)
                Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(
                    tmp_path / "pacs" / dom / cls / "0.png")
        return [f"dataset.root={tmp_path}", "source=photo", "target=sketch",
                "dataset.resize_size=36", "dataset.crop_size=32",
                f"paths.cache_dir={tmp_path / 'cache'}"]
    return []


@pytest.mark.parametrize(("group", "option"), _options(), ids=lambda v: str(v))
def test_option_composes_and_instantiates(group, option, tmp_path):
    cfg = compose_cfg([*_select(group, option), *_inputs(group, option, tmp_path),
                       *_image_inputs(group, option, tmp_path)], tmp_path)
    assert cfg is not None
    if group == "protocol_method":  # loaded by the protocol and method choices alone
        # composed without debug=fast, whose short-run settings (batch, steps) win by design
        with initialize_config_dir(str(CONF), version_base="1.3"):
            full = compose("train", overrides=[*_select(group, option),
                                               *_inputs(group, option, tmp_path)])
        _assert_applied(CONF / group / f"{option}.yaml", full)
    if group in HYDRA_SIDE:
        return
    family = build_family(cfg)
    module = build_module(cfg, family)
    build_datamodule(cfg, family)
    assert sum(p.numel() for p in module.parameters()) > 0
    for lg in (cfg.get("logger") or {}).values():
        if "wandb" not in lg._target_:
            instantiate(lg)
    for cb in (cfg.get("callbacks") or {}).values():
        instantiate(cb)
    if group == "trainer" and option in ("cpu", "ddp_cpu"):
        trainer = instantiate(cfg.trainer, logger=False)
        assert trainer.max_steps == cfg.trainer.max_steps


def test_every_group_the_issue_names_exists():
    names = {p.name for p in CONF.iterdir() if p.is_dir()}
    assert {"dataset", "method", "backbone", "trainer", "logger", "callbacks", "experiment",
            "hparams_search", "debug", "paths", "selection"} <= names
