"""download(): checksum, resume with HTTP Range, atomic rename, one-line errors."""

from __future__ import annotations

import hashlib

import pytest

from da.data.download import download
from da.errors import DAError

BLOB = bytes(range(256)) * 40  # 10 KiB


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_good_file_is_accepted(http_server, tmp_path):
    url, srv = http_server
    (srv.root / "a.bin").write_bytes(BLOB)
    dest = tmp_path / "out" / "a.bin"
    assert download(url + "a.bin", dest, _sha(BLOB)) == dest
    assert dest.read_bytes() == BLOB
    assert not dest.with_name("a.bin.part").exists()
    # a verified copy in place: no second request
    download(url + "a.bin", dest, _sha(BLOB))
    assert len(srv.requests) == 1


def test_md5_is_accepted_where_no_sha256_is_published(http_server, tmp_path):
    url, srv = http_server
    (srv.root / "a.bin").write_bytes(BLOB)
    download(url + "a.bin", tmp_path / "a.bin", md5=hashlib.md5(BLOB).hexdigest())
    assert (tmp_path / "a.bin").read_bytes() == BLOB


def test_corrupt_file_is_rejected_and_nothing_left(http_server, tmp_path):
    url, srv = http_server
    (srv.root / "a.bin").write_bytes(BLOB[:-1] + b"X")
    dest = tmp_path / "a.bin"
    with pytest.raises(DAError) as e:
        download(url + "a.bin", dest, _sha(BLOB))
    msg = str(e.value)
    assert "\n" not in msg and "a.bin" in msg
    assert _sha(BLOB) in msg and _sha(BLOB[:-1] + b"X") in msg
    assert not dest.exists() and not dest.with_name("a.bin.part").exists()


def test_resume_from_partial_part(http_server, tmp_path):
    url, srv = http_server
    (srv.root / "a.bin").write_bytes(BLOB)
    dest = tmp_path / "a.bin"
    dest.with_name("a.bin.part").write_bytes(BLOB[:3000])
    download(url + "a.bin", dest, _sha(BLOB))
    assert dest.read_bytes() == BLOB
    assert srv.requests == [("/a.bin", "bytes=3000-")]


def test_complete_part_needs_no_body(http_server, tmp_path):
    url, srv = http_server
    (srv.root / "a.bin").write_bytes(BLOB)
    dest = tmp_path / "a.bin"
    dest.with_name("a.bin.part").write_bytes(BLOB)  # server answers 416
    download(url + "a.bin", dest, _sha(BLOB))
    assert dest.read_bytes() == BLOB


def test_server_without_range_restarts_from_zero(http_server, tmp_path):
    url, srv = http_server
    srv.ranges = False
    (srv.root / "a.bin").write_bytes(BLOB)
    dest = tmp_path / "a.bin"
    dest.with_name("a.bin.part").write_bytes(b"garbage!" * 10)
    download(url + "a.bin", dest, _sha(BLOB))
    assert dest.read_bytes() == BLOB


def test_missing_url_is_one_line_error(http_server, tmp_path):
    url, _ = http_server
    with pytest.raises(DAError) as e:
        download(url + "nope.bin", tmp_path / "nope.bin", _sha(BLOB))
    msg = str(e.value)
    assert "\n" not in msg and "404" in msg and "nope.bin" in msg
    assert not (tmp_path / "nope.bin").exists()


def test_existing_wrong_file_is_not_overwritten(http_server, tmp_path):
    url, _ = http_server
    dest = tmp_path / "a.bin"
    dest.write_bytes(b"mine")
    with pytest.raises(DAError, match="delete it"):
        download(url + "a.bin", dest, _sha(BLOB))
    assert dest.read_bytes() == b"mine"


def test_checksum_is_required(tmp_path):
    with pytest.raises(DAError, match="checksum"):
        download("http://127.0.0.1:9/x", tmp_path / "x")
