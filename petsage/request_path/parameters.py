"""Request-parameter validation that answers in one short sentence instead of a jsonschema dump.

Relies on (connexion ``~=3.3.0``): ``ParameterValidator.validate_parameter(parameter_type, value,
param, param_name)``, a static method that this subclass overrides with an instance method and that
Connexion's ``validate`` calls for each parameter, returning the error's detail or ``None``; the
``validate_<in>_parameter(param, request)`` methods it calls per location (overridden for query,
header and cookie); ``connexion.utils.coerce_type`` (raising ``TypeValidationError``).
``tests/api/test_errors.py`` (the one-sentence details) and, in ``tests/api/test_lean_stack.py``,
``test_parameter_schemas_are_compiled_once_per_operation`` fail when that changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connexion.exceptions import TypeValidationError
from connexion.utils import coerce_type
from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match
from starlette.datastructures import QueryParams

from petsage.request_path.formats import FORMAT_CHECKER


class ConciseParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter validator, with ``detail`` such as
    ``Query parameter 'exclude': 'disk' is not one of ['uptime', 'memory']``.

    ``format``s are checked (``petsage.request_path.formats``; Connexion checks none on
    parameters). Each parameter's schema is compiled once, here: ``petsage.request_path.validation``
    builds this validator once per operation, where Connexion builds a validator (and deep-copies
    the schema) for every parameter of every request.
    """

    def __init__(self, parameters: Iterable[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        parameters = list(parameters)
        super().__init__(parameters, *args, **kwargs)
        self._compiled = {id(param): _compile(param) for param in parameters}

    def validate_query_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        """An array in the form style with ``explode`` (OpenAPI's default for a query) is one item
        per occurrence of the parameter. Connexion joins the occurrences with commas and splits
        them again, which would also take ``?exclude=a,b`` as two items: the contract makes that
        one item, validated as such."""
        if _exploded_form_array(param):
            raw = QueryParams(request.scope["query_string"]).getlist(param["name"])
            if raw:
                value = coerce_type(param, raw, "query", param["name"])
                return self.validate_parameter("query", value, param)
        return super().validate_query_parameter(param, request)  # type: ignore[no-any-return]

    def validate_header_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        """A header is text: typed as its schema says before validation (Connexion validates the
        text, so an ``integer`` header never was one)."""
        return self.validate_parameter(
            "header", _typed(param, request.headers.get(param["name"]), "header"), param
        )

    def validate_cookie_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        """A cookie too."""
        return self.validate_parameter(
            "cookie", _typed(param, request.cookies.get(param["name"]), "cookie"), param
        )

    def validate_parameter(
        self, parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is None:  # missing: Connexion's own check of ``required`` says it plainly
            return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)  # type: ignore[no-any-return]
        validator = self._compiled.get(id(param)) or _compile(param)
        error = best_match(validator.iter_errors(value))
        if error is None:
            return None
        return f"{parameter_type.capitalize()} parameter '{param['name']}': {error.message}"


def _typed(param: dict[str, Any], value: str | None, where: str) -> Any:
    if value is None:
        return None
    try:
        return coerce_type(param, value, where, param["name"])
    except TypeValidationError:
        return value  # not of its type: the schema says so


def _compile(param: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator(param.get("schema", param), format_checker=FORMAT_CHECKER)


def _exploded_form_array(param: dict[str, Any]) -> bool:
    style = param.get("style", "form")
    return bool(
        param.get("schema", {}).get("type") == "array"
        and style == "form"
        and param.get("explode", True)
    )
