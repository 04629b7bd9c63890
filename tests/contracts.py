"""The contracts the tests derive their cases from, and requests built from what they declare.

Every document the suite serves: the product's (``openapi/root.yaml``, ``openapi/petsage.yaml``)
and the conformance contract (``tests/conformance``). A test parametrized over ``OPERATIONS`` or
``PATHS`` learns about a new operation from the contract alone; the values of its parameters
and bodies are the contract's ``example``s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connexion import AsyncApp

from petsage.app import create_app, product_contract
from petsage.contract import document_base_path, operations, path_items
from petsage.settings import Settings
from tests.conformance import conformance_document
from tests.conformance.visits import visit_services
from tests.conftest import load_spec, resolve_refs

# The product's documents by file name, and the conformance contract.
DOCUMENTS: dict[str, dict[str, Any]] = {
    "root.yaml": load_spec("root.yaml"),
    "petsage.yaml": load_spec("petsage.yaml"),
    "conformance": conformance_document(),
}


def served_app(**options: Any) -> AsyncApp:
    """One app serving every document of ``DOCUMENTS`` (the conformance contract beside the
    product's, as ``python -m tests.conformance serve`` serves it), responses validated."""
    return create_app(
        Settings(),
        validate_responses=True,
        contract=[*product_contract(), conformance_document()],
        services=visit_services,
        **options,
    )


@dataclass(frozen=True)
class Operation:
    """One operation of one document, its ``$ref``s resolved."""

    document: str
    path: str
    method: str
    definition: Mapping[str, Any]
    item: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.document}:{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str:
        return str(self.definition["operationId"])

    @property
    def parameters(self) -> list[dict[str, Any]]:
        """The path item's parameters and the operation's, the operation's winning."""
        merged = {
            (parameter["name"], parameter["in"]): parameter
            for parameter in [
                *self.item.get("parameters", ()),
                *self.definition.get("parameters", ()),
            ]
        }
        return list(merged.values())

    @property
    def url(self) -> str:
        """The operation's path under its document's base path, each ``{parameter}`` filled."""
        return document_base_path(DOCUMENTS[self.document]) + concrete(self.path, self.parameters)

    def required(self, location: str) -> dict[str, Any]:
        """The example of each required parameter in ``location`` (``query``, ``header``)."""
        return {
            parameter["name"]: example(parameter)
            for parameter in self.parameters
            if parameter["in"] == location and parameter.get("required")
        }

    @property
    def body(self) -> Any:
        """The example of the JSON request body, or ``None`` when the operation takes none."""
        request = self.definition.get("requestBody")
        if request is None:
            return None
        return example(request["content"]["application/json"])

    def statuses(self) -> set[str]:
        return set(self.definition["responses"])


def example(node: Mapping[str, Any]) -> Any:
    """What a parameter or a media type declares as its example: its ``example``, its first
    ``examples`` entry, or its schema's ``example``."""
    if "example" in node:
        return node["example"]
    if node.get("examples"):
        return next(iter(node["examples"].values()))["value"]
    schema = node.get("schema", {})
    if "example" in schema:
        return schema["example"]
    raise LookupError(f"{node.get('name', 'the body')} declares no example")


def concrete(path: str, parameters: list[dict[str, Any]]) -> str:
    """``path`` with each ``{name}`` replaced by its path parameter's example."""
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(example(parameter)))
    assert "{" not in path, f"{path}: a path parameter declares no example"
    return path


def _operations() -> list[Operation]:
    found = []
    for name, document in DOCUMENTS.items():
        for path, item in path_items(document):
            resolved = resolve_refs(item, document)
            for method, definition in operations(resolved):
                found.append(Operation(name, path, method, definition, resolved))
    return found


OPERATIONS = _operations()


def _first_of_each_path() -> list[Operation]:
    first: dict[tuple[str, str], Operation] = {}
    for operation in OPERATIONS:
        first.setdefault((operation.document, operation.path), operation)
    return list(first.values())


# The first operation of every path: its ``item`` is the path's, its ``url`` the path's filled in.
PATHS = _first_of_each_path()


def declared_methods(item: Mapping[str, Any]) -> set[str]:
    """The methods a path item declares, upper case."""
    return {method.upper() for method, _ in operations(item)}
