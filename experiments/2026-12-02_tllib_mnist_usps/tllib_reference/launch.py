"""Run one of TLlib's example scripts, unmodified, under this project's Python environment.

``python launch.py <script.py> <its arguments...>`` runs ``<script.py>`` as ``__main__`` after
five environment fixes that change no computation:

1. ``numpy.float = float``: ``tllib/modules/grl.py`` (the GRL warm start) calls
   ``np.float(x)``, an alias of the builtin ``float`` removed in NumPy 1.24 (we have 2.x).
2. ``torch.utils.data.dataset.T_co``: a ``typing.TypeVar`` that ``tllib/vision/datasets/
   imagelist.py`` imports (for ``Dataset[T_co]`` annotations) and recent torch no longer
   defines; restored as ``TypeVar("T_co", covariant=True)``.
3. ``torchvision.models.resnet.model_urls = {}``: ``tllib/vision/models/resnet.py`` imports
   this dict of ImageNet weight URLs (gone from torchvision >= 0.15) and reads it only to
   download pretrained ResNets; the digits runs build ``lenet`` with ``--scratch``.
4. ``torch.set_num_threads(TORCH_THREADS)`` (default 1): TLlib never sets it; one intra-op
   thread as in ``da``'s TLlib protocol (``num_threads: 1``).
5. TLlib's dataset "download" is made to fail loudly (exit 3) instead of fetching: the data
   must be laid out beforehand by ``prepare_data.py`` (TLlib downloads only missing folders).

After the script returns, stdout/stderr point at ``os.devnull`` so that a finished run exits 0
(TLlib's ``CompleteLogger.close()`` closes the real streams, which makes Python exit 120).

``timm`` and ``numba`` are replaced by the stubs in ``shims/`` (on ``PYTHONPATH``, set by ``run.sh``).
"""

import os
import runpy
import sys

import numpy as np

if "float" not in np.__dict__:
    np.float = float  # removed alias; np.float(x) was float(x)

import torch
import torch.utils.data.dataset as _tud

if not hasattr(_tud, "T_co"):  # a typing TypeVar TLlib imports; gone from recent torch
    from typing import TypeVar

    _tud.T_co = TypeVar("T_co", covariant=True)

import torchvision.models.resnet as _tvr

if not hasattr(_tvr, "model_urls"):  # ImageNet weight URLs, removed from torchvision 0.15
    _tvr.model_urls = {}

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))

if len(sys.argv) < 2:
    raise SystemExit("usage: launch.py <tllib example script> [args...]")
script = os.path.abspath(sys.argv[1])
sys.argv = [script, *sys.argv[2:]]
sys.path.insert(0, os.path.dirname(script))

import tllib.vision.datasets._util as _tllib_util  # noqa: E402


def _no_download(url, *args, **kwargs):
    # SystemExit, not an Exception: TLlib's download() catches Exception and exits 0
    print(f"refusing to download {url}: lay the data out with prepare_data.py", flush=True)
    raise SystemExit(3)


_tllib_util.download_and_extract_archive = _no_download
print(f"[launch.py] numpy {np.__version__} (np.float shim), torch {torch.__version__}, "
      f"threads {torch.get_num_threads()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
      f"tllib from {sys.modules['tllib'].__file__}",
      flush=True)
runpy.run_path(script, run_name="__main__")
# The script returned normally. TLlib's CompleteLogger.close() closes the real stdout/stderr it
# had wrapped; Python's final flush of them would then fail and exit with status 120.
sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
