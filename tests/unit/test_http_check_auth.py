"""The http check sends a URL's userinfo as Basic auth, to a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import base64

import pytest

from petsage.health.dependencies import HttpCheck

EXPECTED = "Basic " + base64.b64encode(b"pet:s@cret").decode()


async def _check_against_recording_server(userinfo: str) -> tuple[str, dict[str, str]]:
    """Run the check against a server that records the request's headers and answers 200 only
    to the expected credentials (401 otherwise); return the check's status and the headers."""
    headers: dict[str, str] = {}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        for line in head.decode().split("\r\n")[1:]:
            if line:
                name, _, value = line.partition(": ")
                headers[name.lower()] = value
        status = "200 OK" if headers.get("authorization") == EXPECTED else "401 Unauthorized"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await HttpCheck("vet-api", f"http://{userinfo}127.0.0.1:{port}/health").check()
    return result.status, headers


def test_userinfo_is_sent_as_basic_auth() -> None:
    """`http://pet:s%40cret@host/` is answered 200 by a server that requires those credentials:
    the check sends them, percent-decoded, as Basic auth, and no userinfo in Host."""
    status, headers = asyncio.run(_check_against_recording_server("pet:s%40cret@"))
    assert headers["authorization"] == EXPECTED
    assert status == "pass"
    assert "@" not in headers["host"]


@pytest.mark.parametrize("userinfo", ["", "pet:wrong@"])
def test_without_the_right_credentials_the_check_fails(userinfo: str) -> None:
    """No userinfo sends no Authorization header; wrong credentials are refused: both fail."""
    status, headers = asyncio.run(_check_against_recording_server(userinfo))
    assert status == "fail"
    assert ("authorization" in headers) == bool(userinfo)
