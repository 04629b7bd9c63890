"""The management listener: a second uvicorn server on a thread and an event loop of its own.

libuv accepts at most one connection per loop iteration (libuv#3696): a main loop saturated by
keep-alive clients leaves fresh connections in the listen queue for seconds, and a probe with a
one-second timeout fails on a pod that is only busy. This loop serves only the probes and the
metrics, so it stays free; liveness still reports the main loop's lag (read from its ticker).
"""

from __future__ import annotations

import threading

import uvicorn


class ManagementListener:
    """Serves ``config`` from its own thread between ``start`` and ``stop``. The socket is bound
    when this is built, in the caller's thread, so a port in use stops the process at startup."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.server = uvicorn.Server(config)
        self._sockets = [config.bind_socket()]
        # A daemon: should the main server exit without ``stop``, this thread does not hold it.
        self._thread = threading.Thread(target=self._serve, name="petsage-management", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread (uvicorn looks at the flag every 0.1 s)."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join()
        for sock in self._sockets:
            sock.close()

    def _serve(self) -> None:
        # uvicorn installs signal handlers only on the main thread: this server stops by ``stop``.
        self.server.run(sockets=self._sockets)
