"""The series a PromQL expression selects, read by a small tokenizer: enough for the expressions of
deploy/prometheus/petsage-rules.yaml (selectors with matchers, functions, aggregations with
``by``/``without``, vector matching with ``on``/``ignoring``/``group_*``, ranges, numbers, strings).
A selector spelt ``{__name__="..."}`` is not recognised."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
      (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
    | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[smhdwy]*)
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<op>=~|!~|!=|==|<=|>=|\S)
    | \s+
    """,
    re.VERBOSE,
)
# Followed by a parenthesised list of label names.
_GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_KEYWORDS = _GROUPING | {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}


@dataclass(frozen=True)
class Selector:
    """A vector selector: a metric name and its equality matchers (``label="value"``)."""

    metric: str
    equal: dict[str, str] = field(default_factory=dict)


def _tokens(expression: str) -> list[tuple[str, str]]:
    found = []
    for match in _TOKEN.finditer(expression):
        kind = match.lastgroup
        if kind is not None:
            found.append((kind, match.group(kind)))
    return found


def _unquote(string: str) -> str:
    return (
        string[1:-1] if string[0] == "`" else bytes(string[1:-1], "utf-8").decode("unicode_escape")
    )


def selectors(expression: str) -> list[Selector]:
    """Every vector selector of ``expression``, in order."""
    tokens = _tokens(expression)
    found: list[Selector] = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "ident" and text in _GROUPING and following == "(":
            i = next(j for j in range(i, len(tokens)) if tokens[j][1] == ")")
        elif kind == "ident" and text not in _KEYWORDS and following not in ("(", *_GROUPING):
            # Not a function or an aggregation (``sum by (job) (...)``): a metric name.
            equal: dict[str, str] = {}
            if following == "{":
                i += 2
                while tokens[i][1] != "}":
                    name, operator, value = (token[1] for token in tokens[i : i + 3])
                    if operator == "=":
                        equal[name] = _unquote(value)
                    i += 4 if tokens[i + 3][1] == "," else 3
            found.append(Selector(text, equal))
        i += 1
    return found
