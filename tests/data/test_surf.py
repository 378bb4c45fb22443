"""Office-Caltech10 SURF family on a tiny generated .mat; JDA preprocessing; errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import savemat

from da.data.surf import OfficeCaltechSURF, jda_preprocess
from da.errors import DAError


def make_surf(root, domain="amazon", n=12, d=800):
    folder = root / "office_caltech10_surf"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    fts = rng.integers(0, 5, (n, d)).astype(np.uint8)
    labels = (np.arange(n) % 10 + 1).reshape(-1, 1).astype(np.uint8)
    savemat(folder / f"{domain}_SURF_L10.mat", {"fts": fts, "labels": labels})
    return fts, labels


def test_reads_mat_and_shifts_labels(tmp_path):
    fts, labels = make_surf(tmp_path)
    fam = OfficeCaltechSURF(root=str(tmp_path), preprocess="none")
    s = fam.load("amazon", "train")
    assert s.x.shape == (12, 800) and s.y.tolist() == (labels.ravel() - 1).tolist()
    assert np.array_equal(s.x.numpy(), fts.astype(np.float32))
    # transductive protocol: test is the same samples
    t = fam.load("amazon", "test")
    assert np.array_equal(t.x.numpy(), s.x.numpy()) and t.y.tolist() == s.y.tolist()


def test_jda_preprocessing_zero_mean_unit_std(tmp_path):
    make_surf(tmp_path)
    x = OfficeCaltechSURF(root=str(tmp_path)).load("amazon", "train").x.numpy()
    assert np.allclose(x.mean(0), 0, atol=1e-5)
    std = x.std(0)
    assert np.allclose(std[std > 0], 1, atol=1e-4)


def test_jda_matches_reference_formula():
    x = np.array([[1.0, 3.0, 0.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
    r = np.array([[0.25, 0.75, 0.0], [0.25, 0.25, 0.5], [0.0, 0.0, 0.0]])  # zero row stays 0
    expect = (r - r.mean(0)) / r.std(0)
    assert np.allclose(jda_preprocess(x), expect)


def test_missing_file_and_bad_option(tmp_path):
    with pytest.raises(DAError) as e:
        OfficeCaltechSURF(root=str(tmp_path)).load("dslr", "train")
    msg = str(e.value)
    assert "\n" not in msg and "dslr_SURF_L10.mat" in msg and str(tmp_path) in msg
    assert "DA_DATA_DIR" in msg
    with pytest.raises(DAError, match="preprocess"):
        OfficeCaltechSURF(root=str(tmp_path), preprocess="pca")
