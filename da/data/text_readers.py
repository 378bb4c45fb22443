"""Readers of labelled text: one domain's ``(texts, labels)`` from a file or a folder.

* ``.csv`` / ``.tsv``: a header row naming a text column and a label column (Python's
  ``csv`` module, so quoted fields may hold commas, tabs and newlines);
* ``.jsonl`` / ``.json`` (one object a line): the same two keys;
* a folder: ``<folder>/<class>/*.txt``, one text per file, labelled by the class folder;
* ``<reviews><review> ... </review></reviews>`` (Blitzer et al.'s ``processed_acl`` raw
  reviews, :func:`read_reviews`) and one review a line (:func:`read_lines`).

Labels are kept as strings here; the family maps them to class ids across domains. Text is
decoded as UTF-8 (BOM tolerated), HTML entities are unescaped, and empty or undecodable text
is a one-line :class:`~da.errors.DAError` naming the file and the line.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

from da.errors import DAError

TEXT_EXTENSIONS = (".csv", ".tsv", ".jsonl", ".json")
_REVIEW = re.compile(r"<review>(.*?)</review>", re.S)


def decode(path: Path) -> str:
    """The file as UTF-8 text; an undecodable byte is an error naming its line."""
    if not path.exists():
        raise DAError(f"{path}: no such file or folder")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise DAError(f"{path} line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
                      "re-encode the file as UTF-8") from None


def clean(text: str, path: Path, line: int) -> str:
    """Unescaped, stripped text; empty text is an error (it carries nothing to classify)."""
    out = html.unescape(text).strip()
    if not out:
        raise DAError(f"{path} line {line}: empty text; remove the row or fill in its text")
    return out


def read_text_domain(path: str | Path, text_column: str = "text",
                     label_column: str = "label") -> tuple[list[str], list[str]]:
    """``(texts, labels)`` of one domain: a table file or a folder per class (module doc)."""
    path = Path(path).expanduser()
    if path.is_dir():
        return _read_folder(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _read_table(path, "\t" if suffix == ".tsv" else ",", text_column, label_column)
    if suffix in (".jsonl", ".json"):
        return _read_jsonl(path, text_column, label_column)
    if not path.exists():
        raise DAError(f"{path}: no such file or folder")
    raise DAError(f"{path}: unknown text format {suffix or '(no extension)'}; give a "
                  f"{', '.join(TEXT_EXTENSIONS)} file or a folder of <class>/*.txt")


def _columns_error(path: Path, found, text_column: str, label_column: str) -> DAError:
    return DAError(f"{path} line 1: needs columns {text_column!r} and {label_column!r}, found "
                   f"{list(found)}; set dataset.text_column / dataset.label_column")


def _read_table(path: Path, delimiter: str, text_column: str,
                label_column: str) -> tuple[list[str], list[str]]:
    rows = csv.DictReader(decode(path).splitlines(keepends=True), delimiter=delimiter)
    if rows.fieldnames is None or not {text_column, label_column} <= set(rows.fieldnames):
        raise _columns_error(path, rows.fieldnames or [], text_column, label_column)
    texts, labels = [], []
    for row in rows:
        line = rows.line_num
        if row.get(text_column) is None or row.get(label_column) is None:
            raise DAError(f"{path} line {line}: too few fields for the columns "
                          f"{rows.fieldnames}; check the delimiter and the quoting")
        texts.append(clean(row[text_column], path, line))
        labels.append(_label(row[label_column], path, line))
    return _nonempty(path, texts, labels)


def _read_jsonl(path: Path, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for n, line in enumerate(decode(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DAError(f"{path} line {n}: not a JSON object ({e.msg}); one object a line, "
                          "e.g. {\"text\": \"...\", \"label\": \"pos\"}") from None
        if not isinstance(obj, dict) or text_column not in obj or label_column not in obj:
            raise _columns_error(path, obj if isinstance(obj, dict) else [], text_column,
                                 label_column)
        if not isinstance(obj[text_column], str):
            raise DAError(f"{path} line {n}: {text_column!r} must be a string, got "
                          f"{type(obj[text_column]).__name__}")
        texts.append(clean(obj[text_column], path, n))
        labels.append(_label(obj[label_column], path, n))
    return _nonempty(path, texts, labels)


def _read_folder(root: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for cls in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(cls.rglob("*.txt")):
            texts.append(clean(decode(f), f, 1))
            labels.append(cls.name)
    if not texts:
        raise DAError(f"{root} holds no texts; expected {root}/<class>/*.txt (one text a file)")
    return texts, labels


def _label(value, path: Path, line: int) -> str:
    label = str(value).strip() if value is not None else ""
    if not label:
        raise DAError(f"{path} line {line}: empty label")
    return label


def _nonempty(path: Path, texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    if not texts:
        raise DAError(f"{path} holds no rows; expected a header and one text per row")
    return texts, labels


def read_reviews(path: Path) -> list[str]:
    """The reviews of a ``<reviews><review>\\ttitle\\n\\ttext</review>...`` file, each as
    ``"title. text"`` (the form of the one-review-a-line crawls), whitespace collapsed."""
    content = decode(path)
    out = []
    for m in _REVIEW.finditer(content):
        line = content.count("\n", 0, m.start()) + 1
        title, _, body = m.group(1).strip().partition("\n")
        title, body = " ".join(title.split()), " ".join(body.split())
        out.append(clean(f"{title}. {body}" if title and body else title or body, path, line))
    if not out:
        raise DAError(f"{path} holds no <review>...</review> elements")
    return out


def read_lines(path: Path) -> list[str]:
    """One review a line (blank lines skipped)."""
    out = [clean(line, path, n) for n, line in enumerate(decode(path).splitlines(), 1)
           if line.strip()]
    if not out:
        raise DAError(f"{path} holds no reviews (expected one a line)")
    return out
