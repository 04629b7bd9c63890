"""Turns (``petsage.protocol.turns``) driven through ``LimitedHttpToolsProtocol`` in process: a
kept-alive connection's next request waits when an iteration of the loop has started its share,
a connection's first request never does, and a waiting request is answered, in order, or dropped
with its connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import pairwise

import pytest

from petsage.protocol.limits import LimitedHttpToolsProtocol, Listener
from petsage.protocol.turns import Turns
from tests.unit.protocol_doubles import MockTransport, Server, settle
from tests.unit.test_protocol import LIMITS, App, app_of, request

pytestmark = pytest.mark.anyio

PER_ROUND = 2


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    served = Server(App(), LIMITS, Listener(turns=Turns(per_round=PER_ROUND)))
    yield served
    await served.close()


async def kept_alive(
    server: Server, count: int
) -> list[tuple[LimitedHttpToolsProtocol, MockTransport]]:
    """``count`` connections that have each had a request answered, and wait for the next."""
    connections = [server.connect() for _ in range(count)]
    for index, (protocol, _) in enumerate(connections):
        protocol.data_received(request(b"/first-%d" % index))
    await settle()
    assert [transport.statuses() for _, transport in connections] == [[200]] * count
    app_of(server).scopes.clear()
    return connections


def paths(server: Server) -> list[str]:
    return [scope["path"] for scope in app_of(server).scopes]


async def test_each_iteration_starts_at_most_its_share_of_kept_alive_requests(
    server: Server,
) -> None:
    """Seven next requests arrive in one iteration: the app sees at most two more after each
    iteration, in the order they arrived, and every one is answered."""
    connections = await kept_alive(server, 7)
    for index, (protocol, _) in enumerate(connections):
        protocol.data_received(request(b"/next-%d" % index))
    seen = [0]
    while len(app_of(server).scopes) < len(connections):
        await asyncio.sleep(0)  # one iteration of the loop
        seen.append(len(app_of(server).scopes))
        assert len(seen) < 50, "the waiting requests never started"
    assert all(after - before <= PER_ROUND for before, after in pairwise(seen))
    assert paths(server) == [f"/next-{index}" for index in range(7)]
    await settle()
    assert [transport.statuses() for _, transport in connections] == [[200, 200]] * 7


async def test_a_first_request_does_not_wait_behind_kept_alive_ones(server: Server) -> None:
    """A new connection's request starts in the iteration it arrives, before the kept-alive
    requests that wait their turn."""
    connections = await kept_alive(server, 5)
    for index, (protocol, _) in enumerate(connections):
        protocol.data_received(request(b"/next-%d" % index))
    fresh, transport = server.connect()
    fresh.data_received(request(b"/fresh"))
    await settle()
    assert paths(server) == ["/next-0", "/next-1", "/fresh", "/next-2", "/next-3", "/next-4"]
    assert transport.statuses() == [200]


async def test_a_request_waiting_its_turn_is_answered_at_shutdown(server: Server) -> None:
    """When the server stops, a request that waits its turn is answered, and the connection then
    closed, as one the app already holds."""
    connections = await kept_alive(server, 3)
    for protocol, _ in connections:
        protocol.data_received(request(b"/next"))
    waiting, transport = connections[2]
    waiting.shutdown()
    await settle()
    assert transport.statuses() == [200, 200]
    assert b"connection: close" in transport.buffer.rpartition(b"HTTP/1.1")[2]
    assert transport.closed


async def test_a_request_whose_client_left_while_waiting_never_starts(server: Server) -> None:
    """The app never sees it; the requests behind it start in its place."""
    connections = await kept_alive(server, 4)
    for index, (protocol, _) in enumerate(connections):
        protocol.data_received(request(b"/next-%d" % index))
    connections[2][1].close()
    await settle()
    assert paths(server) == ["/next-0", "/next-1", "/next-3"]


async def test_pipelined_requests_wait_together_and_are_answered_in_order(
    server: Server,
) -> None:
    """Bytes that arrive on a connection while its request waits join it, and reading pauses
    until its turn: the server holds no more of a client's requests than before."""
    connections = await kept_alive(server, 3)
    for index, (protocol, _) in enumerate(connections):
        protocol.data_received(request(b"/next-%d" % index))
    protocol, transport = connections[2]
    protocol.data_received(request(b"/after-2"))
    assert transport.read_paused
    await settle()
    assert paths(server) == ["/next-0", "/next-1", "/next-2", "/after-2"]
    assert transport.statuses() == [200, 200, 200]
    assert not transport.read_paused


async def test_a_waiting_request_is_not_taken_for_an_idle_connection(server: Server) -> None:
    """Near the connection cap the longest-idle connections are evicted: one whose request waits
    its turn is not idle."""
    connections = await kept_alive(server, 3)
    for protocol, _ in connections:
        protocol.data_received(request(b"/next"))
    assert [protocol.waiting_since() for protocol, _ in connections] == [None] * 3
