"""Run the app under uvicorn with the settings the service ships, and drain before stopping.

On SIGTERM or SIGINT readiness fails at once, every response says ``Connection: close`` so
keep-alive clients go elsewhere (``petsage.middleware.edge``, reading the same ``Lifecycle``),
and the server keeps serving for ``drain_seconds``; then uvicorn's own shutdown stops accepting and
gives in-flight requests ``graceful_timeout`` seconds.

uvicorn 0.54 (pinned ``~=0.54.0``) has no hook for a drain nor for the server its workers run, so
this module, and only it, relies on these parts of it; ``tests/unit/test_server.py`` fails when an
upgrade changes one, ``tests/live/test_drain.py`` and ``tests/live/test_workers.py`` when the
whole no longer drains:

- ``uvicorn.Server.handle_exit(sig, frame)``, the handler ``Server.capture_signals`` installs for
  SIGINT and SIGTERM, and the ``should_exit`` and ``force_exit`` flags it sets: the drain starts
  there instead of the shutdown.
- ``uvicorn.Server.on_tick(counter)``, which ``Server.main_loop`` awaits every 0.1 s and stops on
  when it returns true: the drain ends there.
- ``uvicorn.supervisors.multiprocess.Process``: ``Multiprocess`` builds every worker through that
  module-level name, and a worker runs ``self.server``, a property caching its ``Server`` in
  ``self._server``. ``serve`` points the name at ``DrainingWorker``, whose ``server`` fills
  ``_server`` with a ``DrainingServer``; its ``join()`` (after which ``self.process.pid`` names
  the exited worker) is extended to drop that worker's live metrics files.
- ``uvicorn.Server.startup(sockets)`` and ``shutdown(sockets)``, awaited by ``Server.serve``
  around the main loop: the management listener starts once this server listens and stops after
  it has stopped.
- ``uvicorn.Server.servers`` (the listening servers ``startup`` made, their ``sockets``) and the
  protocol factory ``startup`` builds for them, rebuilt here as uvicorn does
  (``config.http_protocol_class(config=, server_state=, app_state=)``, ``server_state`` and
  ``lifespan.state`` being the server's): ``petsage.accept`` accepts on the same sockets in
  batches, and hands each connection to a protocol made the same way.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from functools import partial
from types import FrameType
from typing import Any, cast

import uvicorn
from connexion import AsyncApp
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess, multiprocess

from petsage.accept import BATCH, BatchAcceptor
from petsage.app import create_app, create_management_app
from petsage.contract import monitoring_paths
from petsage.health.config import HealthConfig, load_health_config
from petsage.health.lifecycle import Lifecycle
from petsage.health.main_loop import MainLoop
from petsage.health.plugins import load_checks
from petsage.health.system import EventLoopMonitor
from petsage.health.typing import Registration
from petsage.logs import log_config
from petsage.management import ManagementListener
from petsage.metrics import DRAINING, count_server_answer, multiprocess_directory, worker_exited
from petsage.protocol.capacity import soft_cap
from petsage.protocol.descriptors import (
    default_max_connections,
    open_file_limit,
    raise_open_file_limit,
)
from petsage.protocol.limits import HttpLimits, LimitedHttpToolsProtocol, Listener
from petsage.request_path.services import ServicesFactory
from petsage.settings import Settings, variable

logger = logging.getLogger("uvicorn.error")


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``PETSAGE_*`` variables, so every worker process loads exactly these."""
    return {
        variable(name): str(value)
        for name, value in settings.model_dump(mode="json").items()
        if value is not None
    }


def http_limits(settings: Settings) -> HttpLimits:
    """The HTTP layer's bounds and Host rules, from the settings and the contract."""
    return HttpLimits(
        max_header_bytes=settings.max_header_bytes,
        max_header_count=settings.max_header_count,
        max_url_bytes=settings.max_url_bytes,
        header_timeout=settings.header_timeout,
        allowed_hosts=tuple(settings.allowed_hosts),
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        send_timeout=settings.send_timeout,
        send_buffer_bytes=settings.send_buffer_bytes,
        socket_send_buffer_bytes=settings.socket_send_buffer_bytes,
        max_connections=settings.max_connections or default_max_connections(open_file_limit()),
        monitoring_paths=monitoring_paths(),
    )


def uvicorn_config(
    settings: Settings, app: AsyncApp | str, *, management: bool = False
) -> uvicorn.Config:
    """The one place uvicorn is configured: httptools and uvloop, lifespan on so a contract that
    does not bind to its handlers fails at startup rather than as 500s, no ``server`` header.

    ``management``: for the management listener, on ``settings.management_port``, logging through
    the configuration the main server set up."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=(settings.management_port or 0) if management else settings.port,
        workers=1 if management else settings.workers,
        log_level=settings.log_level,
        log_config=None if management else log_config(settings),
        access_log=False,  # petsage.middleware.access_log writes one line per response instead
        # httptools with bounds on each request, and what this listener's connections share; a
        # partial of a module-level class pickles into every worker process (each gets its own
        # Listener), and uvicorn only ever calls it like the class.
        http=cast(
            type[asyncio.Protocol],
            partial(
                LimitedHttpToolsProtocol,
                limits=http_limits(settings),
                listener=Listener(answered=count_server_answer if settings.metrics else None),
            ),
        ),
        loop="uvloop",
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=settings.graceful_timeout,
    )


def exposure(settings: Settings) -> list[str]:
    """Where the metrics and the health details are, in a line each (logged at startup)."""
    management = settings.management_port
    if not settings.metrics:
        metrics = "Metrics: off (PETSAGE_METRICS=false)"
    elif management is not None:
        metrics = f"Metrics: /metrics on the management port {management} only"
    elif settings.public_metrics:
        metrics = f"Metrics: /metrics on the main port {settings.port} (PETSAGE_PUBLIC_METRICS)"
    else:
        metrics = (
            "Metrics: off on the main port (set PETSAGE_MANAGEMENT_PORT, or"
            " PETSAGE_PUBLIC_METRICS=true)"
        )
    where = [] if management is None else [f"on the management port {management}"]
    if settings.health_token_file is not None:
        where.append("on the main port to a bearer of the token in PETSAGE_HEALTH_TOKEN_FILE")
    details = "; ".join(where) or "nowhere (anonymous callers of the main port get the status only)"
    return [metrics, f"Health details: {details}"]


def _announce(settings: Settings) -> None:
    # Once uvicorn's configuration has set up the log, and once per service, not per worker.
    for line in exposure(settings):
        logger.info("%s", line)


class DrainingServer(uvicorn.Server):
    """uvicorn's server with a drain between the stop signal and the shutdown, and the
    management listener (if any) serving from the moment this one listens until it has stopped."""

    def __init__(
        self,
        config: uvicorn.Config,
        lifecycle: Lifecycle,
        drain_seconds: float,
        management: ManagementListener | None = None,
        max_connections: int | None = None,
    ) -> None:
        super().__init__(config)
        # Batch accept stops where the HTTP layer starts evicting (None: no cap).
        self.batch_until = None if max_connections is None else soft_cap(max_connections)
        self.lifecycle = lifecycle
        self.drain_seconds = drain_seconds
        self.management = management
        self._drain_ends: float | None = None
        self.acceptor: BatchAcceptor | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            return
        # Connections also accepted in batches: a new one is served however many are busy.
        self.acceptor = BatchAcceptor(
            asyncio.get_running_loop(),
            [listener for server in self.servers for listener in server.sockets],
            self._protocol,
            self._room,
        )
        # What start-up built (the contract, its validators, the handlers) lives as long as the
        # process: frozen, a full collection no longer walks it.
        gc.collect()
        gc.freeze()
        # Blocking this loop for the moment the thread takes to listen: once the main port answers,
        # so does the management port (a probe sent in between would be refused).
        if self.management is not None and not self.management.start():
            logger.error("The management listener did not start; stopping.")
            self.should_exit = True

    def _room(self) -> int:
        if self.batch_until is None:
            return BATCH
        return self.batch_until - len(self.server_state.connections)

    def _protocol(self) -> asyncio.Protocol:
        # As uvicorn's ``startup`` builds the protocol of each connection its listeners accept.
        config = self.config
        return config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=self.server_state, app_state=self.lifespan.state
        )

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.acceptor is not None:
            self.acceptor.close()  # before uvicorn's listeners close: nothing accepted after
        await super().shutdown(sockets)
        if self.management is not None:
            await asyncio.to_thread(self.management.stop)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_ends is None and not self.should_exit:
            # In the signal handler only flags are set; the main loop's tick acts on them.
            self.lifecycle.draining = True
            DRAINING.set(1)
            self._drain_ends = time.monotonic() + self.drain_seconds
            logger.info(
                "Received %s: readiness fails; draining for %g s",
                signal.Signals(sig).name,
                self.drain_seconds,
            )
            return
        # A second signal ends the drain now; a third SIGINT skips the graceful wait, as in uvicorn.
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        drained = self._drain_ends is not None and time.monotonic() >= self._drain_ends
        return await super().on_tick(counter) or drained


def draining_server(
    settings: Settings,
    health_config: HealthConfig | None = None,
    checks: Sequence[Registration] | None = None,
    *,
    contract: Sequence[Mapping[str, Any]] | None = None,
    services: ServicesFactory | None = None,
) -> DrainingServer:
    """The app and the server of one process, and its management listener when
    ``settings.management_port`` is set, sharing one ``Lifecycle``. ``checks`` default to those
    ``settings.checks`` and the entry points name (a worker loads its own); ``contract`` and
    ``services`` are ``create_app``'s."""
    health_config = health_config or load_health_config(settings.config)
    if checks is None:
        checks = load_checks(settings.checks, taken=health_config.check_names)
    lifecycle, monitor, main_loop = Lifecycle(), EventLoopMonitor(), MainLoop()
    app = create_app(
        settings,
        health_config=health_config,
        lifecycle=lifecycle,
        checks=checks,
        monitor=monitor,
        main_loop=main_loop,
        contract=contract,
        services=services,
    )
    config = uvicorn_config(settings, app)
    management = None
    if settings.management_port is not None:
        # The main app's lifespan runs the main loop's ticker and the Python checks; the
        # management app reads the one and asks for the others.
        management = ManagementListener(
            uvicorn_config(
                settings,
                create_management_app(
                    health_config,
                    lifecycle,
                    monitor,
                    main_loop,
                    checks=checks,
                    metrics=settings.metrics,
                ),
                management=True,
            )
        )
    return DrainingServer(
        config,
        lifecycle,
        settings.drain_seconds,
        management,
        max_connections=http_limits(settings).max_connections,
    )


class DrainingWorker(multiprocess.Process):
    """A worker of uvicorn's supervisor that serves with the drain, built from the environment;
    once it has stopped (even killed), its live gauges leave the metrics' totals."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = draining_server(Settings())
        return self._server

    def join(self) -> None:
        super().join()
        if self.process.pid is not None:
            worker_exited(self.process.pid)


def serve(
    settings: Settings,
    health_config: HealthConfig,
    checks: Sequence[Registration] = (),
    *,
    contract: Sequence[Mapping[str, Any]] | None = None,
    services: ServicesFactory | None = None,
) -> None:
    """Serve until stopped, draining first; ``checks`` adds readiness checks written in Python;
    ``contract`` and ``services`` are ``create_app``'s (the product's by default).

    With several workers uvicorn's supervisor runs them, each loading the settings, and so its
    checks, from the environment and draining on the SIGTERM it forwards, and the metrics are the
    library's multiprocess ones, in a directory that lives as long as the supervisor. A worker
    builds the product's app: another ``contract`` or ``services`` is served by one process."""
    if settings.workers > 1 and (contract is not None or services is not None):
        raise ValueError("Another contract or services are served by one worker only")
    # Before any connection cap is derived from it; worker processes inherit the raised limit.
    raise_open_file_limit()
    if settings.workers > 1:
        with multiprocess_directory():
            _supervise(settings)
        return
    server = draining_server(settings, health_config, checks, contract=contract, services=services)
    _announce(settings)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _supervise(settings: Settings) -> None:
    os.environ.update(settings_environment(settings))
    # The supervisor serves nothing itself: each worker builds its app and server in
    # ``DrainingWorker.server``, so the supervisor's configuration names no app.
    config = uvicorn_config(settings, app="")
    _announce(settings)
    # uvicorn's supervisor offers no hook for the server its workers run: it builds them
    # through its module's ``Process``, so that name is pointed at ours (this process only
    # supervises from here on). The module docstring lists this seam and its tests.
    multiprocess.Process = DrainingWorker  # type: ignore[misc]
    Multiprocess(config, sockets=[config.bind_socket()]).run()
