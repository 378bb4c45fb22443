"""Fixtures for data tests: a local HTTP server with Range support, and the shared data root."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_data_root() -> Path:
    """``$DA_DATA_DIR`` if set, else ``../shared/data`` beside the repository."""
    env = os.environ.get("DA_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def need_shared(*rel: str) -> Path:
    """The shared data root, or skip the test naming what is missing."""
    root = shared_data_root()
    missing = [r for r in rel if not (root / r).exists()]
    if missing:
        pytest.skip(f"benchmark data not found: {root / missing[0]} (set DA_DATA_DIR to the "
                    "folder described in ../shared/data/README.md)")
    return root


class _Handler(BaseHTTPRequestHandler):
    """Serves files of ``server.root``; honours ``Range: bytes=N-``; records each request."""

    timeout = 5

    def do_GET(self):  # noqa: N802 - http.server API
        self.server.requests.append((self.path, self.headers.get("Range")))
        f = self.server.root / self.path.lstrip("/")
        body = f.read_bytes() if f.is_file() else None
        if body is None:
            self.send_error(404, "Not Found")
            return
        rng = self.headers.get("Range")
        if rng and self.server.ranges:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            body = body[start:]
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def http_server(tmp_path):
    """``(base_url, server)`` serving ``tmp_path/srv`` on a random port; stopped afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.root, server.requests, server.ranges = tmp_path / "srv", [], True
    server.root.mkdir()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
