"""Read the records of an offline W&B run file (``run-<id>.wandb``).

The file is W&B's header (``:W&B``, magic, version: 7 bytes) followed by the LevelDB log
format: 32 KiB blocks of records, each ``crc32 (4) | length (2, LE) | type (1) | data``,
types FULL=1, FIRST=2, MIDDLE=3, LAST=4; a block tail under 7 bytes is padding. Each
assembled payload is a ``wandb_internal_pb2.Record``. W&B no longer ships a Python reader.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

BLOCK = 32768
HEADER = 7


def iter_payloads(path: str | Path):
    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    pos, pending = HEADER, b""
    while pos + HEADER <= len(data):
        room = BLOCK - pos % BLOCK
        if room < HEADER:
            pos += room
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + HEADER])
        if kind == 0 and length == 0:  # zero padding at the end of the written part
            pos += room
            continue
        chunk = data[pos + HEADER:pos + HEADER + length]
        pos += HEADER + length
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk
            pending = b""


def read_run(path: str | Path) -> dict:
    """``{"config": {...}, "history_keys": set, "summary": {...}, "run": RunRecord}``."""
    from wandb.proto import wandb_internal_pb2

    def key(item) -> str:
        return item.key or "/".join(item.nested_key)

    out = {"config": {}, "history_keys": set(), "summary": {}, "run": None}
    for payload in iter_payloads(path):
        rec = wandb_internal_pb2.Record()
        rec.ParseFromString(payload)
        kind = rec.WhichOneof("record_type")
        if kind == "config":
            out["config"].update({i.key: json.loads(i.value_json) for i in rec.config.update})
        elif kind == "history":
            out["history_keys"].update(key(i) for i in rec.history.item)
        elif kind == "summary":
            out["summary"].update({key(i): json.loads(i.value_json) for i in rec.summary.update})
        elif kind == "run":
            out["run"] = rec.run
    return out
