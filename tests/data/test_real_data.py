"""The real benchmark files in ``$DA_DATA_DIR`` (default ``../shared/data``); skipped when absent.

Counts and shapes are those of ``../shared/data/README.md``. Readers are used directly
(no resizing of 60,000 images) so the file stays fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from da.data import digit_readers as rd
from da.data.digits import Digits
from da.data.surf import OfficeCaltechSURF
from tests.data.conftest import need_shared


def test_mnist_counts():
    root = need_shared("mnist/train-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz")
    fam = Digits(root=str(root))
    for split, n in (("train", 60000), ("test", 10000)):
        s = fam.load("mnist", split)
        assert s.x.shape == (n, 1, 28, 28)
        assert sorted(s.y.unique().tolist()) == list(range(10))


def test_usps_counts():
    root = need_shared("usps/usps.h5")
    for split, n in (("train", 7291), ("test", 2007)):
        x, y = rd.read_usps_h5(root / "usps" / "usps.h5", split)
        assert x.shape == (n, 16, 16, 1) and 0 <= x.min() and x.max() <= 1
        assert sorted(np.unique(y).tolist()) == list(range(10))


def test_mnist_m_counts_and_labels_follow_mnist():
    root = need_shared("mnist_m/mnist_m_train20k.npz", "mnist_m/mnist_m_test.npz",
                       "mnist/t10k-labels-idx1-ubyte.gz")
    fam = Digits(root=str(root), source="mnist", target="mnist_m")
    s = fam.load("mnist_m", "test")
    assert s.x.shape == (9001, 3, 32, 32) and -1 <= s.x.min() and s.x.max() <= 1
    mnist_y = rd.read_idx_file(root / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert np.array_equal(s.y.numpy(), mnist_y[:9001])
    x, y = rd.read_npz_images(root / "mnist_m" / "mnist_m_train20k.npz")
    assert x.shape == (20000, 32, 32, 3) and len(y) == 20000


@pytest.mark.parametrize(("domain", "n"), [("amazon", 958), ("caltech", 1123), ("dslr", 157),
                                           ("webcam", 295)])
def test_surf_counts_and_jda_zero_mean(domain, n):
    root = need_shared(f"office_caltech10_surf/{domain}_SURF_L10.mat")
    s = OfficeCaltechSURF(root=str(root)).load(domain, "train")
    assert s.x.shape == (n, 800)
    assert sorted(s.y.unique().tolist()) == list(range(10))
    x = s.x.double().numpy()
    assert np.abs(x.mean(0)).max() < 1e-5
    raw = OfficeCaltechSURF(root=str(root), preprocess="none").load(domain, "test").x
    assert raw.min() >= 0 and raw.sum() > 0
