"""One write per response: a response's head waits for its body, and both go out together.

uvicorn writes a response's head when the app sends ``http.response.start`` and its body when the
app sends ``http.response.body``: on uvloop each ``write`` is a ``send`` system call at once, so a
small response cost two system calls and two TCP segments. ``CoalescingTransport`` stands in for
the connection's transport (the protocol hands it to uvicorn in ``connection_made``); it holds a
write that is a response head (``HTTP/1.x ...`` up to the blank line) until the next write, which
it joins, or until the loop's next round of callbacks (a head whose body comes later, or never: a
``HEAD``, a 204), or a close. Everything else passes straight through, in order.
"""

from __future__ import annotations

import asyncio

_HEAD_START = b"HTTP/1."
_HEAD_END = b"\r\n\r\n"


class CoalescingTransport:
    """``transport``, with a response head held back to go out with what follows it."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        # The rest is the transport's own, bound here (no Python call in between).
        self.is_closing = transport.is_closing
        self.pause_reading = transport.pause_reading
        self.resume_reading = transport.resume_reading
        self.get_extra_info = transport.get_extra_info
        self.can_write_eof = transport.can_write_eof

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data.startswith(_HEAD_START) and data.endswith(_HEAD_END):
            self._held = data
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        """Write what is held, if anything."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")
