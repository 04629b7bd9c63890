"""Batch accept: connections the loop's own listener has not taken are accepted and served."""

from __future__ import annotations

import asyncio
import socket
from typing import cast

import uvloop

from petsage.accept import BATCH, BatchAcceptor


class _Answer(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.transport.write(data.upper())
        self.transport.close()


async def _served_clients(count: int) -> list[bytes]:
    """``count`` clients queued on a socket that only a BatchAcceptor accepts from."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=count)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for index, client in enumerate(clients):
        client.sendall(f"client {index}".encode())
        client.setblocking(False)
    acceptor = BatchAcceptor(asyncio.get_running_loop(), [listener], _Answer)
    loop = asyncio.get_running_loop()
    try:
        return [await asyncio.wait_for(_read_all(loop, client), 30) for client in clients]
    finally:
        acceptor.close()
        listener.close()
        for client in clients:
            client.close()


async def _read_all(loop: asyncio.AbstractEventLoop, client: socket.socket) -> bytes:
    data = b""
    while chunk := await loop.sock_recv(client, 1024):
        data += chunk
    return data


def test_more_queued_connections_than_a_batch_are_all_served() -> None:
    count = BATCH * 2 + 1
    answers = uvloop.run(_served_clients(count))
    assert answers == [f"CLIENT {index}".encode() for index in range(count)]


def test_the_standard_loop_serves_them_too() -> None:
    assert asyncio.run(_served_clients(3)) == [b"CLIENT 0", b"CLIENT 1", b"CLIENT 2"]
