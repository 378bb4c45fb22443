"""``dataset=pacs``: DomainBed's folders, the official release's kfold/ folders and split files,
and the real copy under ``$DA_DATA_DIR/pacs`` when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from da.data.images import Images, preset_classes
from tests.data.conftest import need_shared

CLASSES = ("dog", "elephant", "giraffe", "guitar", "horse", "house", "person")
DOMAINS = ("art_painting", "cartoon", "photo", "sketch")


def _tree(base: Path, n: int = 2) -> list[str]:
    """``base/<domain>/<class>/pic_<i>.jpg``; returns the relative paths."""
    rel = []
    for d, dom in enumerate(DOMAINS):
        for c, cls in enumerate(CLASSES):
            for i in range(n):
                p = base / dom / cls / f"pic_{i:03d}.jpg"
                p.parent.mkdir(parents=True, exist_ok=True)
                px = np.full((12, 12, 3), 10 * d + c, np.uint8)
                Image.fromarray(px).save(p)
                rel.append(f"{dom}/{cls}/pic_{i:03d}.jpg")
    return rel


def test_the_preset_knows_the_seven_classes_in_label_order():
    assert preset_classes("pacs") == CLASSES


def test_domainbed_folders(tmp_path):
    _tree(tmp_path / "PACS")
    fam = Images(str(tmp_path), preset="pacs", source=["photo", "cartoon"], target="sketch",
                 resize_size=8, crop_size=8)
    for dom in ("photo", "cartoon", "sketch"):
        s = fam.load(dom, "train")
        assert len(s) == 14 and s.y.tolist() == [c for c in range(7) for _ in range(2)]
        assert fam.load(dom, "test") is s  # transductive: the whole domain


def test_official_kfold_folders_and_split_files_with_labels_from_one(tmp_path):
    root = tmp_path / "pacs"
    rel = _tree(root / "kfold", n=3)
    (root / "pacs_label").mkdir()
    for dom in DOMAINS:
        mine = [r for r in rel if r.startswith(dom + "/")]
        lines = [f"/{r} {CLASSES.index(r.split('/')[1]) + 1}" for r in mine]
        (root / "pacs_label" / f"{dom}_train_kfold.txt").write_text("\n".join(lines[::3][:5]
                                                                            + lines[1::3]) + "\n")
        (root / "pacs_label" / f"{dom}_test_kfold.txt").write_text("\n".join(lines) + "\n")
    fam = Images(str(tmp_path), preset="pacs", layout="list", source="photo", target="sketch",
                 resize_size=8, crop_size=8)
    train, test = fam.load("photo", "train"), fam.load("photo", "test")
    assert len(test) == 21 and len(train) == 12
    assert sorted(set(test.y.tolist())) == list(range(7))  # 1..7 in the files -> 0..6
    first = Image.open(root / "kfold" / "photo" / "dog" / "pic_000.jpg")
    assert test.x.get(0, augment=False).shape == (3, 8, 8) and first.size == (12, 12)
    # the kfold folders alone also work, as DomainBed-style folders
    fam = Images(str(tmp_path), preset="pacs", layout="folder", source="photo", target="sketch",
                 resize_size=8, crop_size=8)
    assert len(fam.load("sketch", "train")) == 21


def test_the_real_copy_has_the_canonical_sizes():
    root = need_shared("pacs/sketch")
    fam = Images(str(root), preset="pacs", source="photo", target="sketch")
    sizes = {d: len(fam.load(d, "train")) for d in ("photo", "sketch")}
    assert sizes == {"photo": 1670, "sketch": 3929}
    fam = Images(str(root), preset="pacs", source="art_painting", target="cartoon")
    assert len(fam.load("art_painting", "train")) == 2048
    assert len(fam.load("cartoon", "train")) == 2344
    assert np.bincount(fam.load("cartoon", "train").y.numpy()).tolist() == [
        389, 457, 346, 135, 324, 288, 405]
