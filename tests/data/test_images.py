"""The ``images`` family on tiny generated trees: folders, lists, presets, lazy loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from da.data.images import IMAGENET_MEAN, IMAGENET_STD, Images, preset_classes
from da.data.loader import DomainStream, StepLoader
from da.errors import DAError
from da.train import run


def _png(path: Path, seed: int) -> np.ndarray:
    """Write an 8x8 RGB PNG of random pixels; return its pixels."""
    px = np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(px).save(path)
    return px


def _folders(root: Path, domains=("photo", "sketch"), classes=("dog", "cat"), n: int = 4) -> Path:
    for d, dom in enumerate(domains):
        for c, cls in enumerate(classes):
            for i in range(n):
                _png(root / dom / cls / f"{i}.png", 100 * d + 10 * c + i)
    return root


def _reference(px: np.ndarray) -> torch.Tensor:
    """What the evaluation transform must give when no resizing happens."""
    x = torch.from_numpy(px.copy()).permute(2, 0, 1).float() / 255
    return (x - torch.tensor(IMAGENET_MEAN)[:, None, None]) / torch.tensor(IMAGENET_STD)[:, None, None]


def test_folder_layout_labels_sorted_classes_and_decodes(tmp_path):
    _folders(tmp_path)
    fam = Images(str(tmp_path), source="photo", target="sketch", resize_size=8, crop_size=8)
    assert fam.domains == ("photo", "sketch") and fam.classes == ("cat", "dog")
    assert fam.num_classes == 2 and fam.input_shape == (3, 8, 8)
    s = fam.load("photo", "train")
    assert len(s) == 8 and s.y.tolist() == [0] * 4 + [1] * 4  # cat before dog
    px = np.asarray(Image.open(tmp_path / "photo" / "cat" / "2.png"))
    assert torch.allclose(s.x.get(2, augment=False), _reference(px), atol=1e-6)
    assert fam.load("photo", "test").y.tolist() == s.y.tolist()  # folders: test = all


def test_list_layout_relative_paths_and_own_test_split(tmp_path):
    pixels = {i: _png(tmp_path / "imgs" / f"{i}.png", i) for i in range(6)}
    lists = tmp_path / "image_list"
    lists.mkdir()
    (lists / "a.txt").write_text("imgs/0.png 0\nimgs/1.png 2\n\nimgs/2.png 1\n")
    (lists / "b_train.txt").write_text("imgs/3.png 1\nimgs/4.png 0\nimgs/5.png 2\n")
    (lists / "b_test.txt").write_text("imgs/5.png 2\n")
    fam = Images(str(tmp_path), source="a", target="b", resize_size=8, crop_size=8)
    assert set(fam.domains) == {"a", "b"} and fam.num_classes == 3
    a = fam.load("a", "train")
    assert a.y.tolist() == [0, 2, 1] and fam.load("a", "test").y.tolist() == [0, 2, 1]
    assert fam.load("b", "test").y.tolist() == [2] and len(fam.load("b", "train")) == 3
    assert torch.allclose(a.x.get(1, augment=False), _reference(pixels[1]), atol=1e-6)
    sub = a.x[torch.tensor([2, 0])]  # subsets stay lazy and keep the order
    assert len(sub) == 2
    assert torch.allclose(sub.get(0, augment=False), _reference(pixels[2]), atol=1e-6)


def test_training_transform_is_random_crop_of_the_right_size(tmp_path):
    _folders(tmp_path)
    fam = Images(str(tmp_path), source="photo", target="sketch", resize_size=16, crop_size=12)
    x = fam.load("photo", "train").x
    torch.manual_seed(0)
    views = [x.get(0, augment=True) for _ in range(4)]
    assert all(v.shape == (3, 12, 12) for v in views)
    assert any(not torch.equal(views[0], v) for v in views[1:])
    assert x.get(0, augment=False).shape == (3, 12, 12)


def test_lazy_batches_are_a_function_of_the_step(tmp_path):
    """Augmented batches depend on the step only: not on workers, processes or history."""
    _folders(tmp_path)
    fam = Images(str(tmp_path), source="photo", target="sketch", resize_size=12, crop_size=8)
    s = fam.load("photo", "train")

    def loader(**kw) -> StepLoader:
        return StepLoader({"source": DomainStream((s.x, s.y), 4, seed=3, salt=0)}, **kw)

    first = loader().batch(5)["source"]
    torch.manual_seed(123)  # the global generator plays no part
    assert torch.equal(loader().batch(5)["source"][0], first[0])
    halves = [loader(rank=r, world=2).batch(5)["source"] for r in (0, 1)]
    assert torch.equal(torch.cat([h[0] for h in halves]), first[0])
    assert torch.equal(torch.cat([h[1] for h in halves]), first[1])
    serial = list(loader(start_step=4))
    pooled = list(loader(start_step=4, num_workers=1))
    assert len(serial) == len(pooled) == 2
    for a, b in zip(serial, pooled, strict=True):
        assert torch.equal(a["source"][0], b["source"][0])
    assert torch.equal(serial[1]["source"][0], first[0])  # steps 4, 5


def test_class_mismatch_between_folders_is_one_line_error(tmp_path):
    _folders(tmp_path)
    _png(tmp_path / "sketch" / "cow" / "0.png", 7)
    with pytest.raises(DAError, match=r"class mismatch: .*sketch/cow") as e:
        Images(str(tmp_path), source="photo", target="sketch")
    assert "\n" not in str(e.value)


def test_class_mismatch_between_lists(tmp_path):
    for i in range(4):
        _png(tmp_path / "x" / "dog" / f"{i}.png", i)
        _png(tmp_path / "x" / "cat" / f"{i}.png", 10 + i)
    lists = tmp_path / "image_list"
    lists.mkdir()
    (lists / "a.txt").write_text("x/dog/0.png 0\nx/cat/0.png 1\n")
    (lists / "b.txt").write_text("x/dog/1.png 0\n")
    with pytest.raises(DAError, match="class mismatch: a has class 1"):
        Images(str(tmp_path), source="a", target="b")
    (lists / "b.txt").write_text("x/cat/1.png 0\nx/dog/1.png 1\n")  # numbered the other way
    with pytest.raises(DAError, match="label 0 is 'dog' in the a list but 'cat' in the b list"):
        Images(str(tmp_path), source="a", target="b")


def test_missing_root_and_bad_lines_are_one_line_errors(tmp_path):
    with pytest.raises(DAError, match=f"dataset.root={tmp_path / 'nope'} does not exist"):
        Images(str(tmp_path / "nope"), source="a", target="b")
    _folders(tmp_path)
    with pytest.raises(DAError, match="needs source=<domain> target=<domain>.*photo, sketch"):
        Images(str(tmp_path))
    with pytest.raises(DAError, match="target='cartoon' is not a domain"):
        Images(str(tmp_path), source="photo", target="cartoon")
    lists = tmp_path / "image_list"
    lists.mkdir()
    (lists / "a.txt").write_text("photo/cat/0.png\n")
    (lists / "b.txt").write_text("photo/cat/1.png 0\n")
    with pytest.raises(DAError, match=r"a.txt line 1: expected 'relative/path.jpg label'"):
        Images(str(tmp_path), source="a", target="b")
    (lists / "a.txt").write_text("cat/0.png 0\n")
    with pytest.raises(DAError, match="first image .*cat/0.png does not exist; paths in the list "
                                      "must be relative to"):
        Images(str(tmp_path), source="a", target="b")


def test_preset_class_lists():
    for name, k in (("office31", 31), ("office_home", 65), ("visda2017", 12), ("domainnet", 345)):
        classes = preset_classes(name)
        assert len(classes) == len(set(classes)) == k
    assert preset_classes("office31")[:3] == ("back_pack", "bike", "bike_helmet")
    assert preset_classes("visda2017")[-1] == "truck"
    assert {"aircraft_carrier", "The_Eiffel_Tower", "zigzag"} <= set(preset_classes("domainnet"))


def test_office31_preset_reads_tllib_lists(tmp_path):
    base = tmp_path / "office31"
    mug = preset_classes("office31").index("mug")
    lines = {}
    for d, dom in enumerate(("amazon", "webcam")):
        rows = []
        for cls, label in (("back_pack", 0), ("mug", mug)):
            for i in range(2):
                rel = f"{dom}/images/{cls}/frame_{i:04d}.jpg"
                _png(base / rel, 10 * d + label + i)
                rows.append(f"{rel} {label}")
        lines[dom] = "\n".join(rows) + "\n"
    (base / "image_list").mkdir()
    for dom, text in lines.items():
        (base / "image_list" / f"{dom}.txt").write_text(text)
    fam = Images(str(tmp_path), preset="office31", source="amazon", target="webcam",
                 resize_size=8, crop_size=8)
    assert fam.name == "office31" and fam.num_classes == 31 and "dslr" in fam.domains
    s = fam.load("amazon", "train")
    assert s.y.tolist() == [0, 0, mug, mug] and s.x.get(3, augment=False).shape == (3, 8, 8)
    assert fam.load("webcam", "test").y.tolist() == [0, 0, mug, mug]


def test_preset_folder_layout_uses_the_canonical_class_order(tmp_path):
    base = tmp_path / "OfficeHomeDataset_10072016"
    for dom in ("Art", "Real World"):
        for cls in ("Mug", "Drill"):
            _png(base / dom / cls / "00001.jpg", len(dom) + len(cls))
    fam = Images(str(tmp_path), preset="office_home", source="art", target="real_world",
                 resize_size=8, crop_size=8)
    classes = preset_classes("office_home")
    assert fam.load("real_world", "train").y.tolist() == sorted(
        [classes.index("Mug"), classes.index("Drill")])
    _png(base / "Art" / "Mugs" / "00001.jpg", 1)
    with pytest.raises(DAError, match="Art/Mugs is not a office_home class"):
        Images(str(tmp_path), preset="office_home", source="art", target="real_world").load(
            "art", "train")


def test_preset_missing_files_name_the_expected_path(tmp_path):
    fam = Images(str(tmp_path), preset="office31", source="amazon", target="dslr")
    with pytest.raises(DAError, match=rf"expected {tmp_path}/office31/image_list/amazon.txt "
                                      r"\('path label' lines"):
        fam.load("amazon", "train")
    (tmp_path / "domainnet" / "image_list").mkdir(parents=True)
    (tmp_path / "domainnet" / "image_list" / "clipart_train.txt").write_text("x 0\n")
    fam = Images(str(tmp_path), preset="domainnet", source="clipart", target="sketch",
                 layout="list")
    with pytest.raises(DAError, match=r"no test list for domainnet domain clipart: expected "
                                      r".*image_list/clipart_test.txt"):
        fam.load("clipart", "train")
    with pytest.raises(DAError, match="dataset.preset='office-31' is unknown"):
        Images(str(tmp_path), preset="office-31")


@pytest.mark.parametrize("workers", [0, 2])
def test_three_training_steps_on_a_generated_tree(make_cfg, tmp_path, workers):
    root = _folders(tmp_path / "imgs", n=5)
    cfg = make_cfg("dataset=images", f"dataset.root={root}", "source=photo", "target=sketch",
                   "backbone=small_cnn", "dataset.resize_size=12", "dataset.crop_size=8",
                   "data.batch_size=4", "data.eval_batch_size=4", f"data.num_workers={workers}",
                   "trainer.max_steps=3", "trainer.val_check_interval=3", "method=dann")
    res = run(cfg)
    assert res["task"] == "images:photo->sketch" and res["steps"] == 3
    assert 0.0 <= res["target_acc"] <= 1.0
    assert len(res["target_per_class_acc"]) == 2


def test_single_list_gives_one_split_object_and_masks_select(tmp_path):
    _folders(tmp_path)
    fam = Images(str(tmp_path), source="photo", target="sketch", resize_size=8, crop_size=8)
    train, test = fam.load("sketch", "train"), fam.load("sketch", "test")
    assert train is test  # transductive families can tell by identity
    mask = train.y == 1
    picked = train.x[mask]
    assert len(picked) == 4
    assert torch.equal(picked.get(0, augment=False), train.x.get(4, augment=False))
