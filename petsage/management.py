"""The management listener: a second uvicorn server on a thread and an event loop of its own.

libuv accepts at most one connection per loop iteration (libuv#3696): a main loop saturated by
keep-alive clients leaves fresh connections in the listen queue for seconds, and a probe with a
one-second timeout fails on a pod that is only busy. This loop serves only the probes and the
metrics, so it stays free; liveness still reports the main loop's lag (read from its ticker).
"""

from __future__ import annotations

import gc
import sys
import threading
import time

import uvicorn

# This thread answers only when it holds the GIL, and a saturated main thread holds it between
# switches. CPython's default switch interval, 5 ms, is paid at every wake-up of this loop (a
# request wakes it several times), which put its probes at a p99 of about 300 ms under load; the
# interval only matters while a thread waits, so the main thread pays for it only when this one
# has work.
SWITCH_INTERVAL = 0.001
# The longest GIL holds left are the main thread's full garbage collections (100 ms and more with
# thousands of connections open, and run every second or so under load): run a tenth as often.
# Young objects are still collected as before; only the oldest generation waits longer.
OLDEST_GENERATION_EVERY = 100


class ManagementListener:
    """Serves ``config`` from its own thread between ``start`` and ``stop``. The socket is bound
    when this is built, in the caller's thread, so a port in use stops the process at startup."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.server = uvicorn.Server(config)
        self._sockets = [config.bind_socket()]
        # A daemon: should the main server exit without ``stop``, this thread does not hold it.
        self._thread = threading.Thread(target=self._serve, name="petsage-management", daemon=True)

    def start(self, timeout: float = 10.0) -> bool:
        """Start serving, and return once the listener accepts connections (True) or has failed
        to within ``timeout`` (False): the socket is bound, but it listens only once the thread's
        server has started, and a probe sent before that would be refused."""
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        young, middle, oldest = gc.get_threshold()
        gc.set_threshold(young, middle, max(oldest, OLDEST_GENERATION_EVERY))
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self._thread.is_alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return self.server.started

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
