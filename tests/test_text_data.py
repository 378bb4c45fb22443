"""Text families: readers, label mapping, bad input, the vectorizer's fit, tokenisation cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from da.data.text import Text
from da.data.text_features import _MEMORY, BagOfNgrams, Tokens
from da.data.text_readers import read_lines, read_reviews, read_text_domain
from da.errors import DAError
from tests.text_data import reviews, tiny_bert, write_csv


def test_csv_tsv_jsonl_and_folders_read_the_same_texts(tmp_path):
    rows = [('a "quoted", comma\nand a newline', "pos"), ("plain &amp; simple", "neg")]
    write_csv(tmp_path / "d.csv", rows)
    write_csv(tmp_path / "d.tsv", [(y, t) for t, y in rows], header=("label", "text"),
              delimiter="\t")
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps({"text": t, "label": y})
                                                for t, y in rows) + "\n\n")
    for t, y in rows:
        (tmp_path / "f" / y).mkdir(parents=True)
        (tmp_path / "f" / y / "0.txt").write_text(t)
    want = (['a "quoted", comma\nand a newline', "plain & simple"], ["pos", "neg"])
    for name in ("d.csv", "d.tsv", "d.jsonl"):
        assert read_text_domain(tmp_path / name) == want, name
    texts, labels = read_text_domain(tmp_path / "f")  # folders: sorted by class
    assert sorted(zip(texts, labels, strict=True)) == sorted(zip(*want, strict=True))


def test_review_format_and_one_review_a_line(tmp_path):
    (tmp_path / "r.parsed").write_text(
        "<reviews><review>\tGreat pan\r\n\tHeats &quot;evenly&quot;\n\nLove it </review>\r\n"
        "<review>\tBad\n\tBroke &amp; leaked</review>\n</reviews>")
    assert read_reviews(tmp_path / "r.parsed") == ['Great pan. Heats "evenly" Love it',
                                                   "Bad. Broke & leaked"]
    (tmp_path / "lines").write_text("one &lt;3\n\ntwo\n")
    assert read_lines(tmp_path / "lines") == ["one <3", "two"]


@pytest.mark.parametrize(("content", "match"), [
    (b"text,label\nfine,pos\n,neg\n", r"d.csv line 3: empty text"),
    (b"text,label\nfine,pos\nbad \xff byte,neg\n", r"d.csv line 3: not UTF-8"),
    (b"review,label\nfine,pos\n", r"d.csv line 1: needs columns 'text' and 'label'"),
    (b"text,label\nfine,\n", r"d.csv line 2: empty label"),
])
def test_bad_csv_is_one_line_naming_file_and_line(tmp_path, content, match):
    (tmp_path / "d.csv").write_bytes(content)
    with pytest.raises(DAError, match=match):
        read_text_domain(tmp_path / "d.csv")


def test_bad_jsonl_and_unknown_format(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "ok", "label": 1}\n{"text": oops}\n')
    with pytest.raises(DAError, match=r"d.jsonl line 2: not a JSON object"):
        read_text_domain(tmp_path / "d.jsonl")
    (tmp_path / "d.xml").write_text("<x/>")
    with pytest.raises(DAError, match="unknown text format .xml"):
        read_text_domain(tmp_path / "d.xml")


def _family(tmp_path, src, tgt, test=None, **kw) -> Text:
    paths = {"source_path": str(write_csv(tmp_path / "books.csv", src)),
             "target_path": str(write_csv(tmp_path / "kitchen.csv", tgt))}
    if test is not None:
        paths["target_test_path"] = str(write_csv(tmp_path / "kitchen_test.csv", test))
    return Text(**paths, inputs=kw.pop("inputs", BagOfNgrams(max_features=None)), **kw)


def test_string_labels_share_ids_across_domains_and_tasks_are_named_after_files(tmp_path):
    fam = _family(tmp_path, [("a good book", "pos"), ("a bad book", "neg")],
                  [("bad pan", "neg"), ("good pan", "pos"), ("fine pan", "pos")])
    assert fam.domains == ("books", "kitchen")
    assert fam.classes == ("neg", "pos") and fam.num_classes == 2
    assert fam.load("books", "train").y.tolist() == [1, 0]
    assert fam.load("kitchen", "train").y.tolist() == [0, 1, 1]
    # integer labels sort as numbers
    fam = _family(tmp_path, [("ab", "10"), ("bc", "2")], [("cd", "2"), ("de", "10")])
    assert fam.classes == ("2", "10")


def test_a_class_in_one_domain_only_is_an_error(tmp_path):
    with pytest.raises(DAError, match=r"class 'meh' occurs in .*kitchen.csv but not in .*books"):
        _family(tmp_path, [("a", "pos"), ("b", "neg")], [("c", "pos"), ("d", "neg"), ("e", "meh")])


def test_vectorizer_fits_on_source_and_target_pool_never_on_the_target_test_split(tmp_path):
    fam = _family(tmp_path, [("good book", "pos"), ("bad book", "neg")],
                  [("good kettle", "pos"), ("bad kettle", "neg")],
                  test=[("good zebra", "pos"), ("bad zebra", "neg")])
    vocab = fam.featurizer.vectorizer.vocabulary_
    assert "kettle" in vocab and "good kettle" in vocab  # the unlabelled pool: seen
    assert not any("zebra" in term for term in vocab)  # the separate test split: never
    test = fam.load("kitchen", "test")
    assert test.x.shape == (2, len(vocab)) and test.x.dtype == torch.float32
    assert len(fam.load("kitchen", "train")) == 2


def test_bow_options_and_sparse_storage(tmp_path):
    rows = [("good good book", "pos"), ("bad book", "neg")]
    fam = _family(tmp_path, rows, rows, inputs=BagOfNgrams(max_features=3, binary=True))
    x = fam.load("books", "train").x
    assert x.shape == (2, 3) and set(x.unique().tolist()) <= {0.0, 1.0}
    fam = _family(tmp_path, rows, rows, inputs=BagOfNgrams(max_features=None, weighting="tfidf",
                                                           dense_limit_mb=0))
    x = fam.load("books", "train").x  # kept sparse, densified per sample
    assert not isinstance(x, torch.Tensor)
    np.testing.assert_allclose(np.linalg.norm(x.numpy(), axis=1), 1.0, rtol=1e-6)
    assert x.get(0, augment=False).shape == fam.input_shape


@pytest.fixture(scope="module")
def bert(tmp_path_factory) -> Path:
    return tiny_bert(tmp_path_factory.mktemp("bert"))


def test_tokenisation_runs_once_then_comes_from_memory_and_disk(tmp_path, bert, monkeypatch):
    texts = [t for t, _ in reviews("pan", 6)]
    calls = []
    tok = Tokens(str(bert), max_length=8, cache_dir=str(tmp_path / "cache"))
    real = type(tok.tokenizer).__call__
    monkeypatch.setattr(type(tok.tokenizer), "__call__",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    first = tok.transform(texts, {"domain": "kitchen"})
    assert len(calls) == 1 and list((tmp_path / "cache" / "tokens").glob("*.npz"))
    again = Tokens(str(bert), max_length=8, cache_dir=str(tmp_path / "cache"))
    assert torch.equal(again.transform(texts, {}).get(3, False), first.get(3, False))
    _MEMORY.clear()  # a new process: read back from disk
    from_disk = Tokens(str(bert), max_length=8, cache_dir=str(tmp_path / "cache"))
    assert torch.equal(from_disk.transform(texts, {}).get(3, False), first.get(3, False))
    assert len(calls) == 1
    Tokens(str(bert), max_length=6, cache_dir=str(tmp_path / "cache")).transform(texts, {})
    assert len(calls) == 2  # another max_length is another key


def test_token_ids_pad_per_batch_and_key_their_subset(bert):
    ids = Tokens(str(bert), max_length=8).transform(["good", "a very good book is this"],
                                                    {"domain": "d"})
    a, b = ids.get(0, False), ids.get(1, False)
    assert a.tolist()[0] == 2 and a.tolist()[-1] == 3 and len(a) == 3 and len(b) == 8  # truncated
    batch = ids.collate([a, b])
    assert batch.shape == (2, 8) and batch[0, 3:].eq(0).all()
    sub = ids[torch.tensor([1])]
    assert torch.equal(sub.get(0, False), b)
    assert sub.cache_spec() != ids.cache_spec() and sub.cache_spec()["domain"] == "d"
    with pytest.raises(DAError, match="token ids are not feature vectors"):
        ids.numpy()


def test_published_amazon_numbers_are_in_da_reports_reference():
    from da.report.tables import load_reference

    ref = load_reference()
    hit = ref.get(("amazon_reviews:books->dvd", "dann"))
    assert hit is not None and "78.4" in str(hit)
    assert "79.0" in str(ref.get(("amazon_reviews:books->dvd", "source_only")))


@pytest.mark.data
def test_amazon_reviews_protocols():
    root = Path(os.environ.get("DA_DATA_DIR", "data"))
    if not (root / "amazon_reviews" / "blitzer2007").is_dir():
        pytest.skip(f"no amazon_reviews/blitzer2007 under DA_DATA_DIR={root}")
    from da.data.amazon import AmazonReviews, norm_key

    trans = AmazonReviews(str(root), "transductive", "books", "kitchen",
                          inputs=BagOfNgrams(max_features=5000))
    src, tgt = trans.load("books", "train"), trans.load("kitchen", "train")
    assert len(src) == len(tgt) == 2000 and src.y.sum() == 1000 and src.x.shape[1] == 5000
    assert trans.load("kitchen", "test") is tgt
    ind = AmazonReviews(str(root), "inductive", "books", "kitchen", inputs=BagOfNgrams())
    raw = ind._read()
    seen = {norm_key(t) for role in ("source", "target") for t in raw[role][0]}
    test = raw["target_test"][0]
    assert 5000 < len(test) < 6000 and not seen & {norm_key(t) for t in test}
    assert len({norm_key(t) for t in test}) == len(test)
