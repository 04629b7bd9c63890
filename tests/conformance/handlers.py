"""Plain handlers of the conformance contract, named after its ``operationId``s: each takes the
operation's parameters (and ``body``) as arguments and calls the ``visits`` service."""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionResponse
from connexion.problem import problem

from petsage.request_path.services import service
from petsage.wire import JSON
from tests.conformance.visits import VisitConflictError, VisitStore

Answer = tuple[Any, int, dict[str, str]]
BASE_PATH = "/conformance"


def _store() -> VisitStore:
    return service("visits", VisitStore)


def _json(body: Any, status: int = 200, **headers: str) -> Answer:
    return body, status, {"Content-Type": JSON, **headers}


def _not_found(visit_id: str) -> ConnexionResponse:
    # Returned, not raised: the app's 404 handler would replace the detail with its own.
    return problem(404, "Not Found", f"There is no visit {visit_id}.")


def _matches(visit: dict[str, Any], filters: dict[str, Any]) -> bool:
    return (
        (not filters["species"] or visit["species"] in filters["species"])
        and set(filters["tags"] or ()) <= set(visit.get("tags", ()))
        and (filters["min_weight"] is None or visit.get("weight_kg", 0) >= filters["min_weight"])
        and (filters["vaccinated"] is None or visit.get("vaccinated") == filters["vaccinated"])
        and (filters["since"] is None or visit["date"] >= filters["since"])
        and (filters["owner"] is None or visit.get("owner_email") == filters["owner"])
    )


async def get_visits(
    species: list[str] | None = None,
    tags: list[str] | None = None,
    limit: int = 20,
    min_weight: float | None = None,
    vaccinated: bool | None = None,
    since: str | None = None,
    owner: str | None = None,
) -> Answer:
    filters = locals()
    visits = [
        {"id": visit_id, "visit": visit}
        for visit_id, visit in _store().all()
        if _matches(visit, filters)
    ]
    return _json({"items": visits[:limit]})


async def create_visit(body: dict[str, Any]) -> Answer | ConnexionResponse:
    try:
        visit_id, visit = _store().create(body)
    except VisitConflictError as error:
        return problem(409, "Conflict", str(error))
    return _json({"id": visit_id, "visit": visit}, 201, Location=f"{BASE_PATH}/visits/{visit_id}")


async def get_visit(visit_id: str) -> Answer | ConnexionResponse:
    visit = _store().get(visit_id)
    return _not_found(visit_id) if visit is None else _json({"id": visit_id, "visit": visit})


async def replace_visit(visit_id: str, body: dict[str, Any]) -> Answer | ConnexionResponse:
    visit = _store().replace(visit_id, body)
    return _not_found(visit_id) if visit is None else _json({"id": visit_id, "visit": visit})


async def update_visit(visit_id: str, body: dict[str, Any]) -> Answer | ConnexionResponse:
    visit = _store().update(visit_id, body)
    return _not_found(visit_id) if visit is None else _json({"id": visit_id, "visit": visit})


async def delete_visit(visit_id: str) -> tuple[None, int] | ConnexionResponse:
    return (None, 204) if _store().delete(visit_id) else _not_found(visit_id)


async def get_visit_count() -> Answer:
    return _json({"count": len(_store().all())})


async def get_echo(day: str, **parameters: Any) -> Answer:
    return _json({"day": day, **parameters})


async def echo_visit(day: str, body: dict[str, Any] | None = None) -> Answer:
    # With no body sent, Connexion's parameter decorator passes the schema's default, or {}.
    return _json({"day": day, **({"body": body} if body else {})})
