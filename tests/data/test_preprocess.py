"""``dataset.preprocess``: known values, per-domain fitting, and its use by files and SURF."""

from __future__ import annotations

import numpy as np
import pytest

from da.data import preprocess as prep
from da.data.files import Files
from da.errors import DAError
from tests.data.test_surf import make_surf

RNG = np.random.default_rng(0)


def test_known_values():
    x = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]])
    assert np.allclose(prep.fit_transform(x, "none"), x)
    assert np.allclose(prep.fit_transform(x, "l2"), [[0.6, 0.8], [1.0, 0.0], [0.0, 0.0]])
    z = prep.fit_transform(x, "zscore")
    assert np.allclose(z, (x - x.mean(0)) / x.std(0))
    r = np.array([[3 / 7, 4 / 7], [1.0, 0.0], [0.0, 0.0]])  # rows / row sums, zero row stays 0
    assert np.allclose(prep.fit_transform(x, "jda"), (r - r.mean(0)) / r.std(0))


def test_constant_columns_stay_zero_and_statistics_come_from_the_fitted_data():
    x = np.c_[RNG.normal(size=20), np.full(20, 5.0)]
    z = prep.fit_transform(x, "zscore")
    assert np.allclose(z[:, 1], 0) and np.isclose(z[:, 0].std(), 1)
    other = x + 10
    stats = prep.fit(x, "zscore")
    assert np.allclose(prep.transform(other, "zscore", stats)[:, 0], z[:, 0] + 10 / x[:, 0].std())


def test_unknown_option():
    with pytest.raises(DAError, match="none, zscore, jda, l2"):
        prep.fit(np.zeros((2, 2)), "pca")


def test_files_fit_each_domain_on_its_own_inputs(tmp_path):
    xs, xt, xtt = (RNG.normal(loc=m, scale=s, size=(n, 4)).astype(np.float32)
                   for m, s, n in ((0, 1, 30), (3, 2, 20), (3, 2, 7)))
    np.savez(tmp_path / "s.npz", x=xs, y=np.arange(30) % 2)
    np.savez(tmp_path / "t.npz", x=xt, y=np.arange(20) % 2)
    np.savez(tmp_path / "tt.npz", x=xtt, y=np.arange(7) % 2)
    fam = Files(str(tmp_path / "s.npz"), str(tmp_path / "t.npz"),
                target_test_path=str(tmp_path / "tt.npz"), preprocess="zscore")
    s, t = fam.load("s", "train").x.numpy(), fam.load("t", "train").x.numpy()
    assert np.allclose(s.mean(0), 0, atol=1e-5) and np.allclose(t.std(0), 1, atol=1e-4)
    # the target test file uses the statistics of the target pool, not its own
    expect = (xtt - xt.mean(0)) / xt.std(0)
    assert np.allclose(fam.load("t", "test").x.numpy(), expect, atol=1e-4)
    l2 = Files(str(tmp_path / "s.npz"), str(tmp_path / "t.npz"), preprocess="l2")
    assert np.allclose(np.linalg.norm(l2.load("s", "train").x.numpy(), axis=1), 1, atol=1e-5)


def test_files_refuse_preprocessing_images(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.zeros((4, 8, 8), np.uint8), y=np.arange(4) % 2)
    with pytest.raises(DAError, match="for \\(N, D\\) feature vectors"):
        Files(str(tmp_path / "s.npz"), str(tmp_path / "s.npz"), preprocess="zscore")


@pytest.mark.parametrize("option", ["zscore", "l2"])
def test_surf_accepts_every_option(tmp_path, option):
    from da.data.surf import OfficeCaltechSURF

    fts, _ = make_surf(tmp_path)
    x = OfficeCaltechSURF(root=str(tmp_path), preprocess=option).load("amazon", "train").x
    assert np.allclose(x.numpy(), prep.fit_transform(fts.astype(np.float64), option), atol=1e-5)
