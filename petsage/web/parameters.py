"""Request-parameter validation that answers in one short sentence instead of a jsonschema dump."""

from __future__ import annotations

from typing import Any

from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match


class ConciseParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter validator, with ``detail`` such as
    ``Query parameter 'exclude': 'disk' is not one of ['uptime', 'memory']``."""

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is None:  # missing: Connexion's own check of ``required`` says it plainly
            return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)  # type: ignore[no-any-return]
        schema = param.get("schema", param)
        error = best_match(Draft4Validator(schema).iter_errors(value))
        if error is None:
            return None
        return f"{parameter_type.capitalize()} parameter '{param['name']}': {error.message}"
