"""``petsage serve``'s options, one per ``Settings`` field: a setting is declared once, in
``petsage.settings``, and its flag, its variable, its help text and its choices follow from it."""

from __future__ import annotations

import argparse
import difflib
import json
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_settings import NoDecode

from petsage.settings import ENV_PREFIX, Settings, variable

_SCALARS = (str, int, float, Path)


def flag(field: str) -> str:
    """The option that sets ``field``: ``--log-level`` for ``log_level``."""
    return "--" + field.replace("_", "-")


def default_text(info: FieldInfo) -> str:
    """A field's default as its variable would spell it: ``none`` when there is none."""
    default = info.get_default(call_default_factory=True)
    if default is None:
        return "none"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, list | tuple):
        return ",".join(map(str, default)) or '""'
    return str(default)


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r}") from None


def _add_flag(parser: argparse.ArgumentParser, field: str, info: FieldInfo) -> None:
    annotation = _without_none(info.annotation)
    help_text = f"{info.description} ({variable(field)}; default: {default_text(info)})"
    options: dict[str, Any] = {"dest": field, "help": help_text}
    if annotation is bool:
        options["action"] = argparse.BooleanOptionalAction
    elif get_origin(annotation) is Literal:
        options["choices"] = get_args(annotation)
    elif annotation not in _SCALARS and NoDecode not in info.metadata:
        # What the variable would hold: pydantic-settings reads a structured value as JSON.
        options |= {"type": _json, "metavar": "JSON"}
    # Everything else goes to Settings as the string typed, validated as the variable would be.
    parser.add_argument(flag(field), **options)


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """One option per ``Settings`` field; an option left out keeps the variable or the default
    (the parser must be built with ``argument_default=argparse.SUPPRESS``)."""
    for field, info in Settings.model_fields.items():
        _add_flag(parser, field, info)


def source(field: str, given: Mapping[str, object]) -> str:
    """Where a bad value of ``field`` came from, as the user typed it: its flag or its variable."""
    return flag(field) if field in given else variable(field)


def unknown_variables(environ: Mapping[str, str]) -> str | None:
    """One line naming the ``PETSAGE_*`` variables no setting reads, each with the closest known
    name; ``None`` when there are none."""
    fields = [field.upper() for field in Settings.model_fields]
    unknown = sorted(
        name
        for name in environ
        if name.upper().startswith(ENV_PREFIX) and name.upper()[len(ENV_PREFIX) :] not in fields
    )
    if not unknown:
        return None
    named = []
    for name in unknown:
        # Compared without the prefix, which every name shares.
        close = difflib.get_close_matches(name.upper()[len(ENV_PREFIX) :], fields, n=1)
        named.append(f"{name} (did you mean {ENV_PREFIX}{close[0]}?)" if close else name)
    return f"petsage: warning: ignoring unknown variables: {', '.join(named)}"
