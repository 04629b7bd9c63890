"""Serialise pydantic results in one pass with pydantic's own encoder.

Uses only Connexion's public ``jsonifier`` option: a ``Jsonifier`` whose ``dumps`` is overridden.
"""

from __future__ import annotations

from typing import Any

from connexion.jsonifier import Jsonifier
from pydantic import BaseModel


class PydanticJsonifier(Jsonifier):  # type: ignore[misc]
    """Connexion's jsonifier, taught to write a pydantic model without a detour through a dict."""

    def dumps(self, data: Any, **kwargs: Any) -> str:
        if isinstance(data, BaseModel):
            return data.model_dump_json()
        return super().dumps(data, **kwargs)  # type: ignore[no-any-return]
