"""The docs UI's files sent from memory: a slow reader holds a chunk, not a file and a thread.

Starlette's ``FileResponse`` reads its file a chunk at a time in anyio's worker threads (40 of
them): a thousand clients reading the 1 MB Swagger bundle slowly each keep an open file, its read
buffer, the last chunk read and a place in the thread pool's queue, all for as long as they take
to read it (about 110 KB each, with the task group that listens for their disconnect). The UI's
files are few and never change, so a whole-file answer is read once per file (and again when its
size or modification time changes) and sent in slices of that copy; a ``Range`` request, or a file
larger than ``MAX_CACHED_BYTES``, is still Starlette's.

Relies on (starlette ``~=1.10.0``): ``FileResponse`` keeps ``path``, ``stat_result`` (set by
``StaticFiles.file_response``), ``status_code``, ``raw_headers`` (with the length, type and
validators it computed) and ``background``. ``tests/api/test_lean_stack.py``
(``test_docs_files_are_sent_from_memory``) fails when they change.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

CHUNK_BYTES = 16 * 1024
MAX_CACHED_BYTES = 4 * 1024 * 1024


class _Contents:
    """Each file's bytes as last read, with the size and time they were read at."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[int, int, bytes]] = {}
        self._locks: dict[str, anyio.Lock] = {}

    async def get(self, path: str, stat: os.stat_result) -> bytes | None:
        """The file's bytes if it is (still) ``stat``'s size and age; None when too large."""
        if stat.st_size > MAX_CACHED_BYTES:
            return None
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._files.get(path)
        if cached is not None and cached[:2] == version:
            return cached[2]
        async with self._locks.setdefault(path, anyio.Lock()):  # one read at a time per file
            cached = self._files.get(path)
            if cached is None or cached[:2] != version:
                data = await anyio.to_thread.run_sync(Path(path).read_bytes)
                if len(data) != stat.st_size:
                    return None  # changed while being read: the file as it is now, from disk
                self._files[path] = cached = (*version, data)
        return cached[2]


_contents = _Contents()


class MemoryFileResponse(FileResponse):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stat = self.stat_result
        has_range = any(name == b"range" for name, _ in scope.get("headers", []))
        data = None
        if scope["type"] == "http" and self.status_code == 200 and not has_range and stat:
            data = await _contents.get(os.fspath(self.path), stat)
        if data is None:
            await super().__call__(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        if scope["method"].upper() == "HEAD" or not data:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            for start in range(0, len(data), CHUNK_BYTES):
                end = start + CHUNK_BYTES
                body, more = data[start:end], end < len(data)
                await send({"type": "http.response.body", "body": body, "more_body": more})
        if self.background is not None:
            await self.background()
