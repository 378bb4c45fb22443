"""Tiny text data and a tiny randomly initialised BERT, written by the tests (never downloaded)."""

from __future__ import annotations

import csv
from pathlib import Path

WORDS = ("good great fine bad awful poor book story film cable pan kettle the a is was not "
         "very i it this zebra").split()


def tiny_bert(folder: Path) -> Path:
    """A 2-layer BERT (hidden 16) with a WordPiece vocabulary of :data:`WORDS`."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    if (folder / "config.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(folder)
    return folder


def write_csv(path: Path, rows: list[tuple[str, str]], header=("text", "label"),
              delimiter: str = ",") -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def reviews(noun: str, n: int = 40) -> list[tuple[str, str]]:
    """``n`` separable reviews about ``noun``, alternately positive and negative."""
    out = []
    for i in range(n):
        pos = i % 2 == 0
        extra = WORDS[i % 8]
        out.append((f"this {noun} is {'very good great' if pos else 'not good awful'} {extra}",
                    "pos" if pos else "neg"))
    return out


def text_overrides(tmp_path: Path, backbone: str = "bow") -> list[str]:
    """``dataset=text`` on two tiny CSV domains, with ``backbone`` (bow | hf | minilm)."""
    src = write_csv(tmp_path / "books.csv", reviews("book"))
    tgt = write_csv(tmp_path / "kitchen.csv", reviews("pan"))
    out = ["dataset=text", f"dataset.source_path={src}", f"dataset.target_path={tgt}",
           f"backbone={backbone}", "data.batch_size=8"]
    if backbone == "bow":
        out.append("backbone.max_features=64")
    elif backbone == "hf":
        out += [f"backbone.name={tiny_bert(tmp_path / 'bert')}", "backbone.max_length=16"]
    else:
        out.append("backbone.max_length=16")
    return out
