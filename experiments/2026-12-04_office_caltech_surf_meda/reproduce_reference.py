"""MEDA under the authors' own protocol, outside the `da` runner: the MATLAB demo
(demo_office_caltech_surf.m) fits on *all* of the source and the whole target, JDA
preprocessing (row / row-sum, z-score per domain), the defaults of da/shallow/meda.py.
No selection, no target labels except to score. Prints one line per task and the average.

Usage (repository root): DA_DATA_DIR=../shared/data .venv/bin/python \
    experiments/2026-12-04_office_caltech_surf_meda/reproduce_reference.py
"""

import os
import time

import numpy as np
from scipy.io import loadmat

from da.data.preprocess import fit_transform
from da.shallow.meda import MEDA

ROOT = os.path.join(os.environ.get("DA_DATA_DIR", "../shared/data"), "office_caltech10_surf")
TASKS = ["caltech:amazon", "caltech:webcam", "caltech:dslr", "amazon:caltech", "amazon:webcam",
         "amazon:dslr", "webcam:caltech", "webcam:amazon", "webcam:dslr", "dslr:caltech",
         "dslr:amazon", "dslr:webcam"]


def load(domain: str) -> tuple[np.ndarray, np.ndarray]:
    m = loadmat(os.path.join(ROOT, f"{domain}_SURF_L10.mat"))
    return fit_transform(m["fts"].astype(np.float64), "jda"), m["labels"].ravel() - 1


def main() -> None:
    accs = []
    for task in TASKS:
        (xs, ys), (xt, yt) = (load(d) for d in task.split(":"))
        t0 = time.time()
        est = MEDA().fit(np.vstack([xs, xt]), np.r_[ys, np.full(len(yt), -1)])
        accs.append(100 * np.mean(est.predict(xt) == yt))
        print(f"{task}: {accs[-1]:.1f}  (mu {est.mu_[-1]:.2f}, {time.time() - t0:.1f} s)",
              flush=True)
    print(f"average over {len(accs)} tasks: {np.mean(accs):.1f}")


if __name__ == "__main__":
    main()
