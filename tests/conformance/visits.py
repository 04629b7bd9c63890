"""The conformance contract's service: visits kept in memory, no HTTP in here."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any


class VisitConflictError(Exception):
    """Raised by ``VisitStore.create`` when a visit for that pet on that date is stored."""


class VisitStore:
    """Visits by id, in the order they were created."""

    def __init__(self) -> None:
        self._visits: dict[str, dict[str, Any]] = {}
        self.closed = False

    def create(self, visit: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        key = (visit["pet_name"], visit["date"])
        if any((kept["pet_name"], kept["date"]) == key for kept in self._visits.values()):
            raise VisitConflictError(f"{visit['pet_name']} already has a visit on {visit['date']}.")
        visit_id = str(uuid.uuid4())
        self._visits[visit_id] = visit
        return visit_id, visit

    def get(self, visit_id: str) -> dict[str, Any] | None:
        return self._visits.get(visit_id)

    def replace(self, visit_id: str, visit: dict[str, Any]) -> dict[str, Any] | None:
        if visit_id not in self._visits:
            return None
        self._visits[visit_id] = visit
        return visit

    def update(self, visit_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        visit = self._visits.get(visit_id)
        if visit is None:
            return None
        visit.update(changes)
        return visit

    def delete(self, visit_id: str) -> bool:
        return self._visits.pop(visit_id, None) is not None

    def all(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self._visits.items())

    def close(self) -> None:
        self.closed = True


@asynccontextmanager
async def visit_services() -> AsyncIterator[dict[str, object]]:
    """The services factory the conformance app is built with: one store, closed at shutdown."""
    store = VisitStore()
    try:
        yield {"visits": store}
    finally:
        store.close()
