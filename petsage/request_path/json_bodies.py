"""JSON request bodies read, decoded, parsed and validated once, with validators built at startup.

For an operation whose request body is declared only as exact JSON media types
(``application/json``, ``application/merge-patch+json``...), ``JsonBody`` does what Connexion's
request validation does for it, with these differences, each an answer a client can act on
where Connexion answered 5xx or the wrong 4xx:

- a body is a ``Content-Length`` above 0 or any ``Transfer-Encoding`` (``petsage.wire``), so a
  chunked body is read as any other (Connexion reads only ``Content-Length`` and finds no body);
- a body with no ``Content-Type``, or one the operation does not declare, is ``415``;
- a body that is not valid in its charset (UTF-8 unless named) or not JSON is ``400`` saying so;
- ``format``s are checked (``petsage.request_path.formats``), and a ``400`` names the field.

The validator is compiled once per operation (Connexion compiles the schema on every request),
and the parsed body is handed to the handler through the scope (``PARSED_BODY``), so it is parsed
once (Connexion parses it again for the handler). How large a body may be, and how long it may
take, is the HTTP layer's business (``petsage.protocol.limits``), chunked or not.

Relies on (connexion ``~=3.3.0``): an operation's ``consumes``, ``body_schema(media_type)`` (the
schema with its ``$ref``s resolved), ``body_definition(media_type)`` and ``request_body``;
``connexion.json_schema.Draft4RequestValidator`` (draft 4 with OpenAPI's ``nullable``,
``readOnly`` and ``writeOnly``); ``connexion.utils.is_json_mimetype`` and ``is_nullable``; the
parameter decorator asking
``ConnexionRequest.json()`` for the body of a JSON request. ``tests/api/test_bodies.py`` fails
when that changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from connexion.exceptions import BadRequestProblem, UnsupportedMediaTypeProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.operations import AbstractOperation
from connexion.utils import is_json_mimetype, is_nullable
from jsonschema.exceptions import best_match
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope

from petsage.request_path.formats import FORMAT_CHECKER
from petsage.wire import carries_body

# The scope key under which the parsed body (None: no body) reaches the handler's request.
PARSED_BODY = "petsage.parsed_body"


def takes_json_only(operation: AbstractOperation) -> bool:
    """True when the operation declares a request body, only as exact JSON media types."""
    consumes = operation.consumes if operation.body_definition() else []
    return bool(consumes) and all(
        "*" not in media_type and is_json_mimetype(media_type) for media_type in consumes
    )


def field_error(error: Any) -> str:
    """``Request body field 'clinic.website': 'x' is not a 'uri'``; ``Request body: ...`` for an
    error of the whole body."""
    path = ".".join(str(part) for part in error.absolute_path)
    where = f"Request body field '{path}'" if path else "Request body"
    return f"{where}: {error.message}"


class _MediaType:
    """What one declared media type's body is checked against."""

    def __init__(self, operation: AbstractOperation, media_type: str) -> None:
        schema = operation.body_schema(media_type)
        self.default = schema.get("default")
        self.nullable = bool(is_nullable(operation.body_definition(media_type)))
        self.validator = Draft4RequestValidator(schema, format_checker=FORMAT_CHECKER)


class JsonBody:
    """One operation's JSON request body: each media type's compiled validator."""

    def __init__(self, operation: AbstractOperation) -> None:
        self.media_types = {
            media_type.lower(): _MediaType(operation, media_type)
            for media_type in operation.consumes
        }
        self._declared = ", ".join(operation.consumes)
        self.required = bool(operation.request_body.get("required", False))
        # With no body, Connexion's parameter decorator fills in the first media type's default.
        self._default = next(iter(self.media_types.values())).default

    async def read(self, scope: Scope, receive: Receive) -> tuple[Any, Receive]:
        """The body parsed and validated (None when there is none), and a ``receive`` that
        replays it to the layers below; raises the 400 or 415 problem that explains a bad one."""
        if not carries_body(scope["headers"]):
            self._check_absent()
            return None, receive
        declared, charset = self._media_type(scope)  # a bad one is refused before any read
        raw = await _read_all(receive)
        if not raw:
            self._check_absent()
            return None, receive
        body = _parse(raw, charset)
        if not (body is None and declared.nullable):
            error = best_match(declared.validator.iter_errors(body))
            if error is not None:
                raise BadRequestProblem(detail=field_error(error))
        return body, _replay(raw, receive)

    def _check_absent(self) -> None:
        if self.required and self._default is None:
            raise BadRequestProblem(detail=f"The request body is required ({self._declared}).")

    def _media_type(self, scope: Scope) -> tuple[_MediaType, str]:
        media_type, charset = _content_type(scope["headers"])
        if media_type is None:
            raise UnsupportedMediaTypeProblem(
                detail=f"The request body has no Content-Type; this operation takes "
                f"{self._declared}."
            )
        declared = self.media_types.get(media_type)
        if declared is None:
            raise UnsupportedMediaTypeProblem(
                detail=f"The Content-Type {media_type} is not one this operation takes: "
                f"{self._declared}."
            )
        return declared, charset or "utf-8"


def _content_type(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The media type (lowercase) and charset of ``Content-Type``; (None, None) without one.
    (Connexion's ``split_content_type`` misses a charset after "; ", as HTTP writes it.)"""
    for name, value in headers:
        if name == b"content-type":
            media_type, *parameters = value.decode("latin-1").split(";")
            charset = None
            for parameter in parameters:
                key, _, found = parameter.partition("=")
                if key.strip().lower() == "charset":
                    charset = found.strip().strip('"')
            return media_type.strip().lower() or None, charset
    return None, None


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse(raw: bytes, charset: str) -> Any:
    try:
        text = raw.decode(charset)
    except LookupError:
        raise UnsupportedMediaTypeProblem(
            detail=f"The charset {charset} of the request body is unknown."
        ) from None
    except UnicodeDecodeError as error:
        raise BadRequestProblem(
            detail=f"The request body is not valid {charset} (at byte {error.start})."
        ) from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise BadRequestProblem(detail=f"The request body is not valid JSON: {error}.") from None


def _replay(raw: bytes, receive: Receive) -> Receive:
    """The body read, as one message, then the client's own ``receive`` (its disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return replay


class ParsedJsonRequest(ConnexionRequest):  # type: ignore[misc]
    """A request whose JSON body the validation layer has parsed: the handler gets that one."""

    async def json(self) -> Any:
        if PARSED_BODY in self.scope:
            return self.scope[PARSED_BODY]
        return await super().json()
