"""A request body sent to an operation that declares none is refused before anything reads it.

Connexion's parameter handling awaits a form body whenever the content type names one, even on a
``GET``; a body that never arrives would hold the connection. The operation answers ``413`` at once
instead and closes the connection, whose unread body cannot be told from the next request.
"""

from __future__ import annotations

from connexion.exceptions import ProblemException
from starlette.types import Scope

from petsage.wire import carries_body, reason


def refuse_body(scope: Scope) -> None:
    """Raise a 413 problem that closes the connection when the request has a body
    (``petsage.wire.carries_body``)."""
    if carries_body(scope["headers"]):
        raise ProblemException(
            status=413,
            title=reason(413),
            detail="This operation takes no request body.",
            headers={"Connection": "close"},
        )
