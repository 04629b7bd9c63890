"""Open-file descriptors: raise the soft limit at startup, and size the connection cap from it.

Each connection holds one descriptor. A container's soft ``RLIMIT_NOFILE`` is often 1,024 while the
hard limit is far higher; past the soft one ``accept`` fails and clients see resets, so serving
starts by raising it. Worker processes inherit the raised limit.
"""

from __future__ import annotations

import resource
from contextlib import suppress

# Descriptors kept out of the cap for the listening socket, the event loop, logs and checks.
_MIN_HEADROOM = 32
# Where the hard limit is unlimited: far above what one process serves.
_UNLIMITED_CEILING = 1 << 20


def raise_open_file_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit; return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _UNLIMITED_CEILING if hard == resource.RLIM_INFINITY else hard
    if soft == resource.RLIM_INFINITY or soft >= target:
        return open_file_limit()
    # Refused (a sandbox, or a hard limit above the kernel's nr_open): the soft one stays.
    with suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return open_file_limit()


def open_file_limit() -> int:
    """The soft ``RLIMIT_NOFILE`` of this process."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return _UNLIMITED_CEILING if soft == resource.RLIM_INFINITY else soft


def default_max_connections(limit: int) -> int:
    """The connection cap for ``limit`` descriptors: an eighth of them (at least 32) kept spare."""
    return max(1, limit - max(_MIN_HEADROOM, limit // 8))
