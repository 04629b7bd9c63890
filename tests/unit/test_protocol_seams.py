"""What ``petsage.protocol.limits`` uses of uvicorn's ``HttpToolsProtocol`` is still there.

The names are read from the subclass's own source, so a new use is covered as soon as it is
written: every ``self.<name>`` the subclass does not set itself must exist on a stock protocol that
has parsed a request, every method it overrides must keep its signature, and every attribute it
reads on the request's ``cycle`` must exist on a stock cycle. An upgrade of uvicorn that renames
or drops one fails here, before the live malformed-input tests show a symptom.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from petsage.protocol import limits
from petsage.protocol.limits import LimitedHttpToolsProtocol


def _subclass_source() -> ast.ClassDef:
    tree = ast.parse(inspect.getsource(limits))
    (found,) = (
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == LimitedHttpToolsProtocol.__name__
    )
    return found


def _attributes_of(name: str, *, stored: bool) -> set[str]:
    context = ast.Store if stored else ast.Load
    return {
        node.attr
        for node in ast.walk(_subclass_source())
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == name
        and isinstance(node.ctx, context)
    }


def _inherited_chains() -> set[tuple[str, str]]:
    """``self.<a>.<b>`` the subclass reads, ``a`` being an inherited attribute."""
    inherited = _inherited_attributes()
    return {
        (node.value.attr, node.attr)
        for node in ast.walk(_subclass_source())
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "self"
        and node.value.attr in inherited
    }


def _own_methods() -> set[str]:
    return {
        node.name
        for node in _subclass_source().body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _inherited_attributes() -> set[str]:
    """What the subclass reads on ``self`` that neither it sets nor it defines."""
    read = _attributes_of("self", stored=False)
    return read - _attributes_of("self", stored=True) - _own_methods()


def _overridden_methods() -> set[str]:
    """The methods of the subclass that uvicorn calls: every one it also defines."""
    return {name for name in _own_methods() if hasattr(HttpToolsProtocol, name)} - {"__init__"}


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


class _Recorded(HttpToolsProtocol):
    """A stock protocol that keeps what it held once a request's headers were parsed."""

    instances: list[_Recorded] = []  # noqa: RUF012 - filled by the one exchange below

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        # What each attribute the subclass reads holds now (the connection's end clears some).
        self.held = {name: getattr(self, name, None) for name in _inherited_attributes()}
        self.instances.append(self)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.keep_alive_armed = self.timeout_keep_alive_task is not None


async def _one_exchange() -> _Recorded:
    config = uvicorn.Config(app=_ok, http="httptools", lifespan="off", log_config=None)
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Recorded(config, state, {}), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /x?y=1 HTTP/1.1\r\nHost: petsage.test\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    body = await reader.readexactly(2)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    await asyncio.sleep(0.05)  # the server side sees the connection end
    assert head.startswith(b"HTTP/1.1 200")
    assert body == b"ok"
    (protocol,) = _Recorded.instances
    return protocol


@pytest.fixture(scope="module")
def parsed() -> _Recorded:
    """A stock protocol that has answered one keep-alive request."""
    return asyncio.run(_one_exchange())


def test_the_subclass_reads_uvicorns_attributes() -> None:
    """The source analysis finds the attributes the subclass is known to rely on."""
    assert {"parser", "url", "headers", "transport", "cycle", "pipeline", "flow"} <= (
        _inherited_attributes()
    )


@pytest.mark.parametrize("name", sorted(_inherited_attributes()))
def test_stock_protocol_has_each_attribute_the_subclass_reads(parsed: _Recorded, name: str) -> None:
    """Each ``self.<name>`` the subclass reads exists on uvicorn's protocol mid-connection."""
    assert hasattr(parsed, name)
    assert name in {"cycle", "timeout_keep_alive_task"} or parsed.held[name] is not None


@pytest.mark.parametrize(("owner", "name"), sorted(_inherited_chains()))
def test_what_the_subclass_reads_on_uvicorns_attributes_exists(
    parsed: _Recorded, owner: str, name: str
) -> None:
    """Each ``self.<owner>.<name>`` (the parser's HTTP version, the transport's state, the flow
    control, the server's default headers) exists on a stock protocol's objects."""
    assert hasattr(parsed.held[owner], name)


@pytest.mark.parametrize("name", sorted(_attributes_of("cycle", stored=False)))
def test_stock_cycle_has_each_attribute_the_subclass_reads(parsed: _Recorded, name: str) -> None:
    """Each ``cycle.<name>`` the subclass reads exists on uvicorn's request-response cycle."""
    assert hasattr(parsed.cycle, name)


@pytest.mark.parametrize("name", sorted(_overridden_methods()))
def test_overridden_methods_keep_their_signature(name: str) -> None:
    """uvicorn and httptools call each overridden method with the arguments the subclass takes."""
    stock = inspect.signature(getattr(HttpToolsProtocol, name))
    ours = inspect.signature(getattr(LimitedHttpToolsProtocol, name))
    assert list(ours.parameters) == list(stock.parameters)


def test_parse_errors_are_answered_by_send_400_response() -> None:
    """uvicorn answers a parser error through ``send_400_response``, which the subclass
    overrides to answer problem+json (its own rejections included)."""
    assert "send_400_response" in HttpToolsProtocol.data_received.__code__.co_names


def test_keep_alive_timer_is_armed_after_a_response(parsed: _Recorded) -> None:
    """After a keep-alive response uvicorn sets ``timeout_keep_alive_task``: the subclass arms
    its header deadline when it sees it."""
    assert parsed.keep_alive_armed is True


def test_parse_errors_are_logged_with_the_line_the_subclass_drops() -> None:
    """uvicorn logs ``PARSER_ERROR_LINE`` before ``send_400_response``; the subclass drops that
    line, which its own (with the status) replaces."""
    assert limits.PARSER_ERROR_LINE in HttpToolsProtocol.data_received.__code__.co_consts


def test_pipelined_cycles_wait_as_cycle_and_app_pairs(parsed: _Recorded) -> None:
    """``pipeline`` is a deque of ``(cycle, app)`` pairs that uvicorn takes from its right: the
    subclass removes a queued request it answered itself from it."""
    assert "appendleft((self.cycle, app))" in inspect.getsource(
        HttpToolsProtocol.on_headers_complete
    )
    assert "self.pipeline.pop()" in inspect.getsource(HttpToolsProtocol.on_response_complete)
