"""Readiness checks written in Python, loaded by ``petsage serve``: from ``PETSAGE_CHECKS``
(``module:attribute`` references) and from the ``petsage.checks`` entry-point group of the
installed distributions. Each names a check, a ``Registration``, or a list of them; a bare check
runs with ``Registration``'s defaults. With ``--workers N`` every worker loads them itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points

from petsage.health import Check, Registration
from petsage.health.checks import validate_name

ENTRY_POINT_GROUP = "petsage.checks"


class PluginError(Exception):
    """Raised when a reference cannot be loaded or names no check; the message says which."""


def _resolve(reference: str) -> object:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError("not module:attribute")
    try:
        target: object = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"cannot import {module_name}: {error}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"{module_name} has no {attribute}") from None
    return target


def _registrations(value: object) -> list[Registration]:
    items = list(value) if isinstance(value, list | tuple) else [value]
    found: list[Registration] = []
    for item in items:
        if isinstance(item, Registration):
            found.append(item)
        elif isinstance(item, Check):
            found.append(Registration(item))
        else:
            raise ValueError(
                f"{type(item).__name__} is not a check (a name and an async check()) "
                "nor a Registration"
            )
        validate_name(found[-1].check.name)
    return found


def load_checks(references: Sequence[str], taken: Iterable[str] = ()) -> list[Registration]:
    """The checks of ``references`` (``PETSAGE_CHECKS``) and of the entry points, in that order.

    ``taken`` are the names already in use; raises ``PluginError`` naming the culprit.
    """
    sources: list[tuple[str, str]] = [(f"PETSAGE_CHECKS: {ref}", ref) for ref in references]
    sources += [
        (f"entry point {ENTRY_POINT_GROUP} {point.name} = {point.value}", point.value)
        for point in entry_points(group=ENTRY_POINT_GROUP)
    ]
    names = set(taken)
    loaded: list[Registration] = []
    for where, reference in sources:
        try:
            registrations = _registrations(_resolve(reference))
        except Exception as error:  # a plug-in's module may raise anything while importing
            raise PluginError(f"{where}: {error}") from None
        for registration in registrations:
            if registration.check.name in names:
                raise PluginError(f"{where}: check name {registration.check.name!r} is taken")
            names.add(registration.check.name)
        loaded += registrations
    return loaded
