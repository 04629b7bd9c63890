"""``python -m tests.live.blocking_server serve --port P``: ``petsage serve`` with one more
readiness check, ``block``, that holds the event loop running it for ``BLOCK_SECONDS`` (as a
blocking call in async code would), served by ``petsage.server.serve``."""

from __future__ import annotations

import os
import sys
import time

from petsage.health import Registration, named_check
from petsage.health.config import load_health_config
from petsage.server import serve
from petsage.settings import Settings


async def _block() -> None:
    time.sleep(float(os.environ.get("BLOCK_SECONDS", "3")))  # noqa: ASYNC251 - the point


def main(argv: list[str]) -> None:
    settings = Settings(port=int(argv[argv.index("--port") + 1]))
    checks = [Registration(named_check("block", _block), timeout=60)]
    serve(settings, load_health_config(settings.config), checks)


if __name__ == "__main__":
    main(sys.argv[1:])
