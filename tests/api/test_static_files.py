"""The docs UI's files sent from memory answer as Starlette's ``StaticFiles`` does from disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

from petsage.request_path.docs import MemoryStaticFiles
from petsage.request_path.static_files import CHUNK_BYTES

CONTENT = bytes(range(256)) * (3 * CHUNK_BYTES // 256) + b"tail"  # three chunks and a bit


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "bundle.js").write_bytes(CONTENT)
    (tmp_path / "empty.css").write_bytes(b"")
    return tmp_path


def test_whole_files_are_served_as_starlette_serves_them(directory: Path) -> None:
    """A GET or HEAD of a file (several chunks long, or empty) gets its bytes and the headers
    Starlette's StaticFiles sends, validators included."""
    memory = TestClient(MemoryStaticFiles(directory=directory))
    disk = TestClient(StaticFiles(directory=directory))
    for name in ("bundle.js", "empty.css"):
        for method in ("GET", "HEAD"):
            ours, theirs = memory.request(method, name), disk.request(method, name)
            assert ours.status_code == theirs.status_code == 200
            assert ours.content == theirs.content
            assert dict(ours.headers) == dict(theirs.headers)
    assert memory.get("bundle.js").content == CONTENT


def test_a_changed_file_is_served_as_it_is_now(directory: Path) -> None:
    """A file rewritten after it was served (another size and time) is served anew, not the
    copy in memory."""
    client = TestClient(MemoryStaticFiles(directory=directory))
    assert client.get("bundle.js").content == CONTENT
    path = directory / "bundle.js"
    path.write_bytes(b"changed")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert client.get("bundle.js").content == b"changed"


def test_ranges_and_validators_still_work(directory: Path) -> None:
    """A byte range is 206 with exactly those bytes, and a matching If-None-Match is 304."""
    client = TestClient(MemoryStaticFiles(directory=directory))
    partial = client.get("bundle.js", headers={"Range": "bytes=2-5"})
    assert partial.status_code == 206
    assert partial.content == CONTENT[2:6]
    etag = client.get("bundle.js").headers["etag"]
    assert client.get("bundle.js", headers={"If-None-Match": etag}).status_code == 304
