"""Multi-source adaptation: several labelled source domains, one target."""

from __future__ import annotations

import pytest
import torch

from da.data.base import DomainFamily, Split
from da.data.datamodule import DADataModule
from da.errors import DAError
from da.train import run


class _Coded(DomainFamily):
    """Three source domains of different sizes whose inputs encode (domain, index)."""

    name = "coded"
    domains = ("a", "b", "c", "t")
    num_classes = 2
    input_shape = (2,)
    sizes = {"a": 40, "b": 80, "c": 160, "t": 50}

    def _load(self, domain: str, split: str) -> Split:
        n = self.sizes[domain]
        d = float(self.domains.index(domain))
        x = torch.stack([torch.full((n,), d), torch.arange(n, dtype=torch.float32)], 1)
        return Split(x, torch.arange(n) % 2)


def _batch_domains(dm: DADataModule, steps: int = 30) -> list[list[int]]:
    loader = dm.train_dataloader()
    out = []
    for step in range(steps):
        x, _ = loader.batch(step)["source"]
        out.append(x[:, 0].long().tolist())
    return out


def test_equal_sampling_gives_each_source_domain_the_same_rows_every_step():
    dm = DADataModule(_Coded(), ["a", "b", "c"], "t", batch_size=12, source_val_fraction=0.25)
    dm.setup()
    assert dm.source == "a+b+c"
    for rows in _batch_domains(dm):
        assert rows == [0] * 4 + [1] * 4 + [2] * 4
    # every source domain keeps its own hold-out; these domains have no test split of their
    # own (test = train), so the hold-outs are the source test split too
    dom = dm.splits["source_val"].x[:, 0].long()
    assert torch.bincount(dom).tolist() == [10, 20, 40]
    assert torch.equal(dm.splits["source_test"].x, dm.splits["source_val"].x)
    assert dm.source_test_split == "source_val"
    # a domain's rows cycle through all its training samples
    seen = {int(v) for step in range(30) for v in dm.train_dataloader().batch(step)["source"][0]
            [:4, 1]}
    assert len(seen) == 30  # 30 of domain a's training rows: an epoch of 7 steps x 4, then more


def test_proportional_sampling_follows_the_domain_sizes():
    dm = DADataModule(_Coded(), ["a", "b", "c"], "t", batch_size=14, source_val_fraction=0.25,
                      source_sampling="proportional")
    dm.setup()
    assert dm.source_batch_sizes() == [2, 4, 8]
    for rows in _batch_domains(dm, 5):
        assert rows == [0] * 2 + [1] * 4 + [2] * 8


def test_single_source_batches_are_unchanged_by_the_multi_source_path():
    one = DADataModule(_Coded(), "b", "t", batch_size=8)
    lst = DADataModule(_Coded(), ["b"], "t", batch_size=8)
    one.setup()
    lst.setup()
    for step in range(5):
        a, b = one.train_dataloader().batch(step), lst.train_dataloader().batch(step)
        assert torch.equal(a["source"][0], b["source"][0])


@pytest.mark.parametrize("kwargs,message", [
    ({"source": ["a", "b", "c"], "batch_size": 2}, r"gives source c 0 rows per batch.*multiple of 3"),
    ({"source": ["a", "x"]}, r"source='x' is not a domain of dataset=coded"),
    ({"source": ["a", "t"]}, r"source and target are both 't'"),
    ({"source": ["a", "b"], "source_sampling": "sizes"}, r"data.source_sampling='sizes' is unknown"),
])
def test_bad_multi_source_settings_are_one_line_errors(kwargs, message):
    kw = {"batch_size": 12, **kwargs}
    with pytest.raises(DAError, match=message):
        dm = DADataModule(_Coded(), target="t", **kw)
        dm.setup()
        dm.train_dataloader()


def test_a_multi_source_run_is_named_after_all_its_sources(make_cfg, tmp_path):
    cfg = make_cfg("source=[clean,rotated]", "target=shifted", "method=dann",
                   "trainer.max_steps=4", "trainer.val_check_interval=4")
    res = run(cfg)
    assert res["task"] == "skdigits:clean+rotated->shifted"
    assert res["source"] == "clean+rotated" and res["status"] == "ok"
    assert 0.0 <= res["target_acc"] <= 1.0


def test_a_repeated_source_is_a_one_line_error(make_cfg):
    with pytest.raises(DAError, match=r"source=\['clean', 'clean'\] names a domain twice"):
        run(make_cfg("source=[clean,clean]", "target=shifted"))


def test_the_cli_names_the_run_directory_after_all_sources(tmp_path):
    from tests.conftest import run_cli

    res = run_cli(["source=[clean,noisy]", "target=shifted", "debug=fast",
                   "trainer.max_steps=2", "trainer.val_check_interval=2",
                   f"paths.log_dir={tmp_path}"])
    assert res.returncode == 0, res.stderr[-2000:]
    runs = list((tmp_path / "train" / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("_source_only_skdigits_clean+noisy2shifted_s0")
