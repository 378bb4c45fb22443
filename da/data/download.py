"""Checked, resumable downloads of published dataset files.

:func:`download` streams ``url`` into ``dest.part``, resumes an interrupted transfer with
an HTTP ``Range`` request when a ``.part`` file is already there, verifies the checksum
and only then renames the file into place (``os.replace``, atomic on one file system).
So ``dest`` either does not exist or holds the complete, verified file; a checksum
mismatch deletes the ``.part`` and raises a one-line :class:`DAError`.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from da.errors import DAError

log = logging.getLogger("da.data")
_CHUNK = 1 << 20


def file_hash(path: Path, algo: str = "sha256") -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _expected(sha256: str | None, md5: str | None) -> tuple[str, str]:
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    raise DAError("download() needs a sha256 (or md5) checksum: unchecked files are refused")


def _open(url: str, offset: int, timeout: float, dest: Path):
    req = urllib.request.Request(url, headers={"User-Agent": "da-download"})
    if offset:
        req.add_header("Range", f"bytes={offset}-")
    try:
        return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 - http(s) only, checked
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # the .part already holds the whole file
            return None
        raise DAError(f"download of {url} failed: HTTP {e.code} {e.reason}; check the URL or "
                      f"put the file at {dest} yourself") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DAError(f"download of {url} failed: {reason}; check the network or put the file "
                      f"at {dest} yourself") from None


def download(url: str, dest: str | Path, sha256: str | None = None, *, md5: str | None = None,
             timeout: float = 60.0) -> Path:
    """Fetch ``url`` to ``dest`` unless a verified copy is there; return ``dest``.

    Args:
        url: ``http(s)://`` address of the file.
        dest: final path; the transfer goes to ``dest.part`` first.
        sha256: expected SHA-256 (hex). ``md5`` is accepted only where no SHA-256 is
            published (SVHN, USPS): one of the two is required.
        timeout: seconds of socket inactivity before giving up.
    """
    if not url.startswith(("http://", "https://")):
        raise DAError(f"download URL must be http(s), got {url!r}")
    algo, want = _expected(sha256, md5)
    dest = Path(dest)
    if dest.exists():
        got = file_hash(dest, algo)
        if got != want:
            raise DAError(f"{dest} exists but its {algo} is {got}, expected {want}; delete it "
                          "and download again")
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    resp = _open(url, offset, timeout, dest)
    if resp is not None:
        with resp:
            # 206: the server honours Range and we append; 200: it sent the whole file anew
            append = offset > 0 and resp.status == 206
            if offset and not append:
                log.info("server ignored the resume request for %s; starting over", url)
            try:
                with open(part, "ab" if append else "wb") as f:
                    for block in iter(lambda: resp.read(_CHUNK), b""):
                        f.write(block)
            except (OSError, http.client.HTTPException) as e:  # timeouts, IncompleteRead
                raise DAError(f"download of {url} was interrupted ({e}); run again to resume "
                              f"from {part}") from None
    got = file_hash(part, algo)
    if got != want:
        part.unlink()
        raise DAError(f"checksum mismatch for {dest.name} from {url}: expected {algo} {want}, "
                      f"got {got}; the partial file was deleted, try again")
    os.replace(part, dest)
    log.info("downloaded %s -> %s (%s verified)", url, dest, algo)
    return dest
