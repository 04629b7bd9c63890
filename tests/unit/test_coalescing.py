"""``CoalescingTransport``: a response's head goes out with its body in one write, and nothing is
held back longer than one round of the loop, nor lost at a close."""

from __future__ import annotations

import asyncio

import pytest

from petsage.protocol.coalescing import CoalescingTransport

pytestmark = pytest.mark.anyio

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recording:
    """The real transport's side: each write as it was made, and how it ended."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.ended: list[str] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return bool(self.ended)

    def close(self) -> None:
        self.ended.append("close")

    def abort(self) -> None:
        self.ended.append("abort")

    def write_eof(self) -> None:
        self.ended.append("eof")

    def get_write_buffer_size(self) -> int:
        return 0

    # What the coalescing transport passes through untouched.
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def can_write_eof(self) -> bool:
        return True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


@pytest.fixture
def real() -> Recording:
    return Recording()


@pytest.fixture
async def coalescing(real: Recording) -> CoalescingTransport:
    return CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]


async def test_a_head_and_its_body_are_one_write(
    real: Recording, coalescing: CoalescingTransport
) -> None:
    coalescing.write(HEAD)
    assert real.writes == []
    coalescing.write(b"ok")
    assert real.writes == [HEAD + b"ok"]
    await asyncio.sleep(0)
    assert real.writes == [HEAD + b"ok"]  # nothing left to write a second time


async def test_a_head_without_a_body_goes_out_in_the_next_round(
    real: Recording, coalescing: CoalescingTransport
) -> None:
    """A HEAD's or a 204's response, or a head whose body the app sends later."""
    coalescing.write(HEAD)
    await asyncio.sleep(0)
    assert real.writes == [HEAD]
    coalescing.write(b"ok")
    assert real.writes == [HEAD, b"ok"]


async def test_what_is_not_a_head_passes_straight_through(
    real: Recording, coalescing: CoalescingTransport
) -> None:
    coalescing.write(b"a chunk of a body")
    assert real.writes == [b"a chunk of a body"]


@pytest.mark.parametrize("end", ["close", "write_eof"])
async def test_a_held_head_is_written_before_the_connection_ends(
    real: Recording, coalescing: CoalescingTransport, end: str
) -> None:
    coalescing.write(HEAD)
    getattr(coalescing, end)()
    assert real.writes == [HEAD]
    assert real.ended == [{"write_eof": "eof"}.get(end, end)]


async def test_an_abort_drops_what_is_held(
    real: Recording, coalescing: CoalescingTransport
) -> None:
    coalescing.write(HEAD)
    coalescing.abort()
    await asyncio.sleep(0)
    assert real.writes == []
    assert real.ended == ["abort"]
