"""The seams of uvicorn that ``petsage.server`` relies on (its docstring lists them): these tests
fail when an upgrade of uvicorn changes one, before a live drain test shows the symptom."""

from __future__ import annotations

import asyncio
import signal

import pytest
import uvicorn
from uvicorn.supervisors import Multiprocess, multiprocess

from petsage.server import DrainingServer, DrainingWorker


def _config() -> uvicorn.Config:
    return uvicorn.Config(app="")


@pytest.mark.parametrize(
    "method", ["init_processes", "restart_all", "keep_subprocess_alive", "handle_ttin"]
)
def test_supervisor_builds_workers_through_its_module_process(method: str) -> None:
    """Every place uvicorn's supervisor starts a worker looks up ``Process`` in its module."""
    assert "Process" in getattr(Multiprocess, method).__code__.co_names


def test_workers_run_the_server_their_process_builds() -> None:
    """A worker runs ``self.server``, the property DrainingWorker overrides."""
    assert isinstance(multiprocess.Process.server, property)
    assert "server" in multiprocess.Process.target.__code__.co_names
    assert issubclass(DrainingWorker, multiprocess.Process)


def test_a_worker_caches_its_server_in_underscore_server() -> None:
    """uvicorn's Process starts with ``_server`` None and its ``server`` property fills it; the
    draining worker fills it with a DrainingServer, built once."""
    stock = multiprocess.Process(_config(), [])
    assert stock._server is None
    assert stock.server is stock._server
    worker = DrainingWorker(_config(), [])
    assert isinstance(worker.server, DrainingServer)
    assert worker.server is worker._server


def test_capture_signals_installs_handle_exit_for_sigterm_and_sigint() -> None:
    """While serving, SIGTERM and SIGINT call the server's ``handle_exit``, which DrainingServer
    overrides to start the drain."""
    server = uvicorn.Server(_config())
    with server.capture_signals():
        assert signal.getsignal(signal.SIGTERM) == server.handle_exit
        assert signal.getsignal(signal.SIGINT) == server.handle_exit


def test_stock_handle_exit_sets_should_exit_then_force_exit() -> None:
    """uvicorn's flags mean what DrainingServer assumes: one signal asks for the graceful
    shutdown, a second SIGINT skips its wait."""
    server = uvicorn.Server(_config())
    server.handle_exit(signal.SIGTERM, None)
    assert (server.should_exit, server.force_exit) == (True, False)
    server.handle_exit(signal.SIGINT, None)
    assert server.force_exit is True


def test_main_loop_stops_when_on_tick_returns_true() -> None:
    """uvicorn's main loop awaits ``on_tick`` with a counter until it returns true."""

    class CountingServer(uvicorn.Server):
        ticks: list[int] = []  # noqa: RUF012 - one test, one instance

        async def on_tick(self, counter: int) -> bool:
            self.ticks.append(counter)
            return len(self.ticks) == 3

    server = CountingServer(_config())
    asyncio.run(server.main_loop())
    assert server.ticks == [0, 1, 2]


def test_on_tick_returns_true_once_should_exit_is_set() -> None:
    """``should_exit`` is what uvicorn's own ``on_tick`` stops on."""
    server = uvicorn.Server(_config())
    assert asyncio.run(server.on_tick(1)) is False
    server.should_exit = True
    assert asyncio.run(server.on_tick(1)) is True


def test_startup_builds_each_protocol_as_the_batch_acceptor_does() -> None:
    """uvicorn's listeners make each connection's protocol from ``http_protocol_class`` with the
    server's ``server_state`` and the lifespan's state: ``DrainingServer._protocol`` does the same
    for the connections ``petsage.accept`` takes, and keeps them in ``servers`` for shutdown."""
    names = uvicorn.Server.startup.__code__.co_consts
    create_protocol = next(c for c in names if getattr(c, "co_name", "") == "create_protocol")
    assert {"http_protocol_class", "server_state", "lifespan", "state"} <= set(
        create_protocol.co_names
    )
    assert "servers" in uvicorn.Server.shutdown.__code__.co_names
