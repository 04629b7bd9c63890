"""A transport and an event loop for driving ``LimitedHttpToolsProtocol`` in process, after the
pattern of uvicorn's ``tests/protocols/test_http.py``: the transport records what the protocol
writes and how it closes; the loop runs the app's tasks on the real running loop but keeps every
``call_later`` timer for the test to fire by moving its clock (``advance``)."""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from petsage.protocol.limits import HttpLimits, LimitedHttpToolsProtocol, Listener

_STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ([^\r]*)\r\n")


class MockTransport:
    """Like a real transport, it tells its protocol the connection is lost soon after a close."""

    def __init__(self, protocol: asyncio.Protocol) -> None:
        self.protocol = protocol
        self.buffer = b""
        self.closed = False
        self.aborted = False
        self.eof_written = False
        self.read_paused = False
        self.write_buffer_size = 0  # what a slow reader leaves in the write buffer

    def get_extra_info(self, key: str) -> object:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(key)

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after the close"
        assert not self.eof_written, "written after the write side was shut"
        self.buffer += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof_written = True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.aborted = True
        self.close()

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.read_paused = True

    def resume_reading(self) -> None:
        self.read_paused = False

    def get_write_buffer_size(self) -> int:
        return self.write_buffer_size

    def statuses(self) -> list[int]:
        """The status of every response written so far, in order."""
        return [int(match[1]) for match in _STATUS_LINE.finditer(self.buffer)]

    def reasons(self) -> list[str]:
        return [match[2].decode() for match in _STATUS_LINE.finditer(self.buffer)]


@dataclass
class MockTimer:
    when: float
    callback: Callable[..., object]
    args: tuple[Any, ...]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class MockLoop:
    now: float = 0.0
    timers: list[MockTimer] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> MockTimer:
        timer = MockTimer(self.now + delay, callback, args)
        self.timers.append(timer)
        return timer

    def call_soon(self, callback: Callable[..., object], *args: Any) -> asyncio.Handle:
        return asyncio.get_running_loop().call_soon(callback, *args)

    def create_task(
        self, coroutine: Coroutine[Any, Any, None], context: contextvars.Context | None = None
    ) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(coroutine, context=context)

    def advance(self, seconds: float) -> None:
        """Move the clock on, firing every timer due by then in the order they are due."""
        self.now += seconds
        while True:
            due = [t for t in self.timers if not t.cancelled and t.when <= self.now]
            if not due:
                return
            timer = min(due, key=lambda t: t.when)
            self.timers.remove(timer)
            timer.callback(*timer.args)


async def settle() -> None:
    """Let the app's tasks run until each waits on something the test controls."""
    for _ in range(50):
        await asyncio.sleep(0)


@dataclass
class Server:
    """What the connections of one listener share: its state, its ``Listener``, a clock."""

    app: Callable[..., Any]
    limits: HttpLimits
    listener: Listener
    loop: MockLoop = field(default_factory=MockLoop)
    state: ServerState = field(default_factory=ServerState)
    transports: list[MockTransport] = field(default_factory=list)

    def connect(self) -> tuple[LimitedHttpToolsProtocol, MockTransport]:
        config = Config(app=self.app, lifespan="off", log_config=None, proxy_headers=False)
        protocol = LimitedHttpToolsProtocol(
            config=config,
            server_state=self.state,
            app_state={},
            _loop=self.loop,
            limits=self.limits,
            listener=self.listener,
        )
        transport = MockTransport(protocol)
        self.transports.append(transport)
        protocol.connection_made(transport)  # type: ignore[arg-type]
        return protocol, transport

    async def close(self) -> None:
        """Close every connection still open, and let the app's tasks see it."""
        for transport in self.transports:
            transport.close()
        await settle()
