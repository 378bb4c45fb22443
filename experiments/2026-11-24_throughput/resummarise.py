"""Re-summarise a ``bench.json``'s raw step times with ``da.bench``'s own functions.

    PYTHONPATH=. python experiments/2026-11-24_throughput/resummarise.py SRC_DIR DST_DIR

The runs here were made before ``da.bench`` printed the quartiles of the paired ratio;
their raw ``step_s`` are unchanged, the summary fields and ``bench.md`` are recomputed.
"""

import json
import sys
from pathlib import Path

from da import bench

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
d = json.loads((src / "bench.json").read_text())
times = {k: v["step_s"] for k, v in d["variants"].items()}
r = {"args": d["args"], "env": d["env"], **bench.summarise(times, 2 * d["args"]["batch_size"])}
r["args"]["out"] = str(dst)
dst.mkdir(parents=True, exist_ok=True)
(dst / "bench.json").write_text(json.dumps(r, indent=1) + "\n")
(dst / "bench.md").write_text(bench.markdown(r))
print(bench.markdown(r))
