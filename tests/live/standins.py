"""Real stand-ins for PetSage's dependencies, on loopback ports, for the length of a block."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def tcp_listener() -> Iterator[int]:
    """A port where connections are accepted (by the kernel's backlog) and never served."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield sock.getsockname()[1]


@contextmanager
def hung_http_server() -> Iterator[int]:
    """A port that accepts connections, reads requests and never answers."""
    held: list[socket.socket] = []
    stop = threading.Event()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.settimeout(0.1)

        def accept() -> None:
            while not stop.is_set():
                try:
                    held.append(sock.accept()[0])
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield sock.getsockname()[1]
        finally:
            stop.set()
            thread.join(5)
            for conn in held:
                conn.close()


class _Ok(BaseHTTPRequestHandler):
    server: _RecordingServer

    def do_GET(self) -> None:
        self.server.requests.append(dict(self.headers.items()))
        expected = self.server.authorization
        if expected is not None and self.headers.get("Authorization") != expected:
            self.send_response(401)
        else:
            self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for the test."""


class _RecordingServer(ThreadingHTTPServer):
    """Keeps the headers of every request; answers 401 unless ``authorization`` matches."""

    def __init__(self, authorization: str | None, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Ok)
        self.authorization = authorization
        self.requests: list[dict[str, str]] = []
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)


@contextmanager
def recording_http_server(
    authorization: str | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[_RecordingServer]:
    """An HTTP server (over TLS with ``tls``) answering 200 on /health and 404 elsewhere; 401
    without the ``Authorization`` value given."""
    server = _RecordingServer(authorization, tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def http_server() -> Iterator[int]:
    """A port with an HTTP server that answers 200 on /health and 404 elsewhere."""
    with recording_http_server() as server:
        yield server.server_address[1]
