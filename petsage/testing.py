"""Test helpers shipped with the package: a real ``petsage serve`` on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from petsage.contract import base_path

__all__ = ["LiveServer", "free_port", "running_server"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """Everything the server has written to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the process to exit; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def _wait_until_serving(server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"{server.base_url}{base_path()}/smoke-test"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"petsage exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback URL built here
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise TimeoutError(f"petsage did not answer {url} within {timeout} s:\n{server.log()}")


@contextmanager
def running_server(
    *options: str,
    env: Mapping[str, str] | None = None,
    start_timeout: float = 30.0,
    wrapper: Sequence[str] = (),
    module: str = "petsage",
) -> Iterator[LiveServer]:
    """Run ``python -m petsage serve --port <free> *options`` until the block ends.

    ``env`` is added to the current environment; ``wrapper`` is a command that runs the server,
    such as ``("prlimit", "--nofile=256:256")``; ``module`` runs another command line that takes
    ``serve --port`` (a program serving its own checks with ``petsage.server.serve``, say). The
    block starts once the smoke test answers. Unless ``env`` (or the environment) sets
    ``PETSAGE_DRAIN_SECONDS``, the server stops with no drain: a test about the drain says how
    long it wants.
    """
    port = free_port()
    environment = {"PETSAGE_DRAIN_SECONDS": "0", **os.environ, **(env or {})}
    with tempfile.TemporaryDirectory(prefix="petsage-live-") as tmp:
        log_path = Path(tmp, "server.log")
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [*wrapper, sys.executable, "-m", module, "serve", "--port", str(port), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        server = LiveServer(process=process, port=port, log_path=log_path)
        try:
            _wait_until_serving(server, start_timeout)
            yield server
        finally:
            if process.poll() is None:
                server.stop()
