"""Render the Jinja in a step's SQL: ``{{ params.country }}``, ``{{ run.partition }}``.

Templates run in Jinja's sandbox with strict undefined variables: a typo in a parameter name
is an error naming the file and line, never an empty string in a WHERE clause. Values are
inserted as text, so a string parameter needs quotes in the SQL (``'{{ params.country }}'``)
or, better, the ``sql`` filter, which writes a correctly escaped SQL literal of any value
(``{{ params.country | sql }}`` → ``'DE'``; a list becomes ``('DE', 'FR')`` for ``IN``).

Rendering keeps line numbers: no whitespace control is applied and the trailing newline is
kept, so a syntax error in the rendered SQL points at the same line of the source file
(unless a value itself spans lines, or a loop repeats lines).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import traceback
import uuid
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import Any

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
)
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlglot import exp

from sluiceway.spec.problems import did_you_mean
from sluiceway.sql.errors import SqlError

_TEMPLATE_FILE = "<template>"

UNSET_HINTS = {
    "partition": "pass --partition to `sluiceway run`, or write the SQL for runs without "
    "one inside {% if run.partition is defined %} … {% endif %}",
}
"""What to do when SQL uses a ``run`` value this run does not have (given as None): such a
variable is an error naming it, never the text ``None``."""


class Namespace:
    """``params``/``run`` as templates see them: keys by attribute or by index, nothing else.

    A plain dict would answer ``params.items`` with its method instead of a parameter named
    ``items``, and would not know its own name for error messages.
    """

    def __init__(
        self, label: str, values: Mapping[str, Any], *, unset: Mapping[str, str] | None = None
    ) -> None:
        self._label = label
        self._values = {
            key: Namespace(f"{label}.{key}", value) if isinstance(value, Mapping) else value
            for key, value in values.items()
        }
        self._unset = dict(unset or {})
        """Names that exist but have no value here, each with what to do about it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __str__(self) -> str:
        raise SqlLiteralError(f"{self._label} is a group of values, not one value")


class _Undefined(StrictUndefined):
    """Names the whole variable (``params.contry``) and suggests the closest defined one."""

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:  # the sandbox explains its refusals this way
            return self._undefined_hint
        owner, name = self._undefined_obj, self._undefined_name
        if isinstance(owner, Namespace) and name in owner._unset:
            return f"{owner._label}.{name} is not set: this run has no {name}"
        if isinstance(owner, Namespace):
            label = owner._label
            hint = did_you_mean(name, [*owner, *owner._unset])
            if hint:  # did you mean 'country'? → did you mean 'params.country'?
                hint = hint.replace("'", f"'{label}.", 1)
            defined = ", ".join(f"{label}.{key}" for key in sorted(owner)) or "none"
            return f"undefined variable {label}.{name} — " + (hint or f"defined: {defined}")
        return f"undefined variable {name} — template variables are params.* and run.*"


class SqlLiteralError(ValueError):
    """A value the ``sql`` filter cannot write as a SQL literal."""


def sql_literal(value: Any) -> str:
    """``value`` as a DuckDB SQL literal: strings quoted and escaped, None → NULL, dates and
    timestamps typed, lists and tuples → ``(a, b)`` for ``IN`` (an empty one → ``(NULL)``,
    which matches nothing)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # the undefined variable's own error
    if isinstance(value, Namespace):
        str(value)  # raises: a group of values has no literal
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
        parts = [_expression(item) for item in items] or [exp.null()]
        return exp.Tuple(expressions=parts).sql(dialect="duckdb")
    return _expression(value).sql(dialect="duckdb")


def _expression(value: Any) -> exp.Expr:
    if isinstance(value, float) and not math.isfinite(value):
        raise SqlLiteralError(f"{value!r} has no SQL literal")
    if isinstance(value, uuid.UUID):
        value = str(value)
    if value is None or isinstance(
        value, str | bool | int | float | decimal.Decimal | dt.date | dt.datetime | bytes
    ):
        return exp.convert(value)
    raise SqlLiteralError(f"a {type(value).__name__} has no SQL literal")


@cache
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=_Undefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["sql"] = sql_literal
    env.filters["quote"] = sql_literal
    return env


@lru_cache(maxsize=256)
def _compile(text: str) -> Template:
    """``text`` compiled once: the pipelines of a template share their SQL file, and
    compiling costs far more than rendering."""
    return _environment().from_string(text)


def render_sql(
    text: str,
    *,
    params: Mapping[str, Any] | None = None,
    run: Mapping[str, Any] | None = None,
    path: str | None = None,
) -> str:
    """``text`` with its Jinja rendered; templates see ``params.*`` and ``run.*``.

    Raises:
        SqlError: a Jinja syntax error, an undefined variable, a value the ``sql`` filter
            cannot write, or something the sandbox forbids; it names the line.
    """
    try:
        template = _compile(text)
    except TemplateSyntaxError as exc:
        raise SqlError(
            f"template syntax error: {exc.message}", path=path, line=exc.lineno, source=text
        ) from None
    values = dict(run or {})
    unset = {key: UNSET_HINTS.get(key, "") for key, value in values.items() if value is None}
    try:
        return template.render(
            params=Namespace("params", params or {}),
            run=Namespace("run", {k: v for k, v in values.items() if k not in unset}, unset=unset),
        )
    except _RENDER_ERRORS as exc:
        message = str(exc) if isinstance(exc, UndefinedError | SqlLiteralError) else None
        line = _template_line(exc)
        variable = _variable_of(str(exc))
        column, length = _variable_position(text, line, variable)
        hint = None
        if variable is not None and variable.startswith("run."):
            hint = unset.get(variable.removeprefix("run.")) or None
        raise SqlError(
            message or f"template error: {exc}",
            path=path,
            line=line,
            column=column,
            source=text,
            length=length,
            hint=hint,
        ) from None


# Template code can fail like any Python expression ({{ 1 / 0 }}, {{ params.n + 'a' }}).
_RENDER_ERRORS = (
    TemplateError,
    SecurityError,
    SqlLiteralError,
    ArithmeticError,
    TypeError,
    ValueError,
    LookupError,
)


def _variable_of(message: str) -> str | None:
    """The variable an undefined-variable or unset-variable message names."""
    if message.startswith("undefined variable "):
        return message.removeprefix("undefined variable ").split(" ", 1)[0]
    head, sep, _ = message.partition(" is not set: ")
    return head if sep else None


def _variable_position(text: str, line: int | None, variable: str | None) -> tuple[int | None, int]:
    """Column and length of the undefined variable on its line, for the caret.

    Jinja's errors carry a line but no column; the variable's name is looked up on that line
    (None when it is not there verbatim, e.g. written as ``params['x']``).
    """
    if line is None or variable is None:
        return None, 1
    lines = text.splitlines()
    found = lines[line - 1].find(variable) if line <= len(lines) else -1
    return (found + 1, len(variable)) if found >= 0 else (None, 1)


def _template_line(exc: BaseException) -> int | None:
    """The template line being rendered when ``exc`` was raised (Jinja rewrites the
    traceback so that template frames carry template line numbers)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == _TEMPLATE_FILE]
    return frames[-1].lineno if frames else None
