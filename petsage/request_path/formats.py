"""The ``format``s enforced on request parameters and bodies: jsonschema's own checkers.

Connexion checks parameters with no format checker and bodies with draft 4's (``date-time``,
``email``, ``ipv4``, ``ipv6``, ``regex`` only, and ``date-time`` only when a package is there);
every request validator in ``petsage.request_path`` is built with ``FORMAT_CHECKER`` instead.
Uses only jsonschema's public ``FormatChecker``. A checker needs its package installed
(``date-time``: rfc3339-validator, ``uri`` and ``uri-reference``: rfc3986-validator); building
``FORMAT_CHECKER`` raises ``KeyError`` at import when one is missing, rather than letting the
format through unchecked.
"""

from __future__ import annotations

from jsonschema import FormatChecker

# What the contract may rely on; any other format is documentation only.
ENFORCED = (
    "date",
    "date-time",
    "uuid",
    "email",
    "uri",
    "uri-reference",
    "ipv4",
    "ipv6",
    "regex",
)

FORMAT_CHECKER = FormatChecker(ENFORCED)
