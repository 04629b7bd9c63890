"""Who gets the full health documents: everyone on the management listener; on the main port,
a caller with the bearer token of ``PETSAGE_HEALTH_TOKEN_FILE``; anyone else the status only.

The contract declares the scheme (``healthToken``) as optional on the health operations, token
first: ``security: [{healthToken: []}, {}]``. Connexion 3 tries the alternatives in that order and
stops at the first that does not raise: a request without a bearer token falls through to ``{}``
(anonymous), and so would a wrong one, since Connexion drops an alternative's error when a later
one passes. So ``token_info``, the scheme's ``x-bearerInfoFunc`` (Connexion's public hook), never
refuses: it says ``granted`` or ``refused`` in the token info, and the handler answers ``401`` for
``refused``. The token itself is never logged nor kept anywhere but in ``TokenFile``.
"""

from __future__ import annotations

import hmac
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from connexion.lifecycle import ConnexionRequest

logger = logging.getLogger(__name__)

# Where the app's lifespan leaves its ``Exposure``.
EXPOSURE_STATE = "exposure"
# The key of the token info that says what the bearer token was worth.
GRANT = "health"
Grant = Literal["granted", "refused"]


class TokenFile:
    """A token in a file, such as a mounted Kubernetes Secret, read again whenever the file is
    replaced or changes (its inode, size or modification time; a rotated Secret is a new file
    behind the same path). Surrounding whitespace, such as a final newline, is not the token's."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: tuple[int, ...] | None = None
        self._token = b""

    def matches(self, candidate: str) -> bool:
        """Whether ``candidate`` is the current token, compared in constant time; never while
        the file is missing or empty."""
        token = self._current()
        # Header values are latin-1 in ASGI: encoded back, they are the bytes the client sent.
        return bool(token) and hmac.compare_digest(token, candidate.encode("latin-1", "replace"))

    def _current(self) -> bytes:
        try:
            status = os.stat(self._path)
            seen = (status.st_ino, status.st_dev, status.st_size, status.st_mtime_ns)
            if seen != self._seen:
                self._token = self._path.read_bytes().strip()
                self._seen = seen
        except OSError as error:
            if self._seen != ():
                logger.warning("Health token file unreadable (%s): no token is valid", error)
            self._seen, self._token = (), b""
        return self._token


@dataclass(frozen=True, slots=True)
class Exposure:
    """A listener's rule: the full documents to everyone (``details``), else to the bearers of
    the token in ``tokens`` (none: no token is valid)."""

    details: bool
    tokens: TokenFile | None = None


def token_info(token: str, request: ConnexionRequest) -> dict[str, Grant]:
    """``x-bearerInfoFunc`` of the ``healthToken`` scheme: what ``token`` is worth here."""
    tokens = request.scope["state"][EXPOSURE_STATE].tokens
    granted = tokens is not None and tokens.matches(token)
    return {GRANT: "granted" if granted else "refused"}
