"""What a translation rule knows besides the tree: the target, the file, and value types.

Some constructs mean different things depending on the type of their operand (a cast of a
DOUBLE to INT rounds half-to-even in DuckDB and truncates in Spark; a cast of a BOOLEAN is
the same in both). Types come from sqlglot's optimizer run on a *copy* of the query, with the
input tables' column types when the caller has them; each node of the original is tagged
with a number first so the copy's types can be read back without reshaping the original.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from sluiceway.sql.errors import UntranslatableError

_TAG = "sluiceway_node"
_SHOWN = 60


@dataclass
class TranslationContext:
    """The target dialect, the file for messages, and the types found for the query's nodes."""

    source: str
    target: str
    path: str | None = None
    types: dict[int, exp.DataType] = field(default_factory=dict)
    text: str = ""

    def type_of(self, node: exp.Expr) -> exp.DataType | None:
        """The node's type, or None when it is unknown (no schema, or sqlglot cannot tell).

        A number literal with a decimal point is DECIMAL, as DuckDB reads it (sqlglot says
        DOUBLE, which rounds differently).
        """
        while isinstance(node, exp.Paren | exp.Neg):
            node = node.this
        if isinstance(node, exp.Literal) and not node.is_string:
            text = node.name.lower()
            if "e" in text:
                return exp.DataType.build("DOUBLE")
            return exp.DataType.build("DECIMAL" if "." in text else "INT")
        found = self.types.get(node.meta_get(_TAG, -1))
        if found is None or found.is_type(exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
            return None
        return found

    def refuse(self, node: exp.Expr, why: str, instead: str) -> UntranslatableError:
        """An error naming ``node`` as written, the target, why, and what to write instead."""
        construct = shown(node, self.source, self.text)
        return UntranslatableError(
            f"{construct} cannot be translated faithfully to {self.target}: {why}",
            construct=construct,
            dialect=self.target,
            hint=f"write {instead}",
            path=self.path,
            line=line_of(node),
        )


def shown(node: exp.Expr, dialect: str, source: str = "") -> str:
    """The node in the source dialect, cut to a readable length.

    sqlglot writes a function under its canonical name (``list(x)`` as ``ARRAY_AGG(x)``);
    the name is put back as the user wrote it, from the name token's offsets in ``source``.
    """
    text = node.sql(dialect=dialect)
    start, end = node.meta_get("start"), node.meta_get("end")
    if isinstance(node, exp.Func) and isinstance(start, int) and isinstance(end, int) and source:
        written = source[start : end + 1]
        name, paren, rest = text.partition("(")
        if paren and written.replace("_", "").isalnum() and name.isupper():
            text = f"{written}({rest}"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def line_of(node: exp.Expr) -> int | None:
    """The first source line inside ``node`` (sqlglot keeps positions on names and literals)."""
    for inner in node.walk():
        line = inner.meta_get("line")
        if isinstance(line, int):
            return line
    return None


def annotate(
    query: exp.Query, schemas: Mapping[str, Mapping[str, str]] | None, dialect: str
) -> dict[int, exp.DataType]:
    """Types of ``query``'s nodes, keyed by the tag this function puts on each node."""
    for number, node in enumerate(query.walk()):
        node.meta[_TAG] = number
    schema = MappingSchema(_nested(schemas or {}, dialect), dialect=dialect)
    copy = query.copy()
    try:
        copy = qualify(
            copy,
            schema=schema,
            dialect=dialect,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
    except (OptimizeError, SqlglotError):
        copy = query.copy()  # unqualified columns stay UNKNOWN: callers treat that as unknown
    annotated = annotate_types(copy, schema=schema, dialect=dialect)
    return {
        node.meta[_TAG]: node.type
        for node in annotated.walk()
        if node.meta_get(_TAG) is not None and node.type is not None
    }


def _nested(schemas: Mapping[str, Mapping[str, str]], dialect: str) -> dict[str, object]:
    """``{"raw.orders": {...}}`` → sqlglot's ``{"raw": {"orders": {...}}}``, types normalized."""
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for name, columns in schemas.items():
        layer, _, table = name.partition(".")
        typed = {column: _sql_type(kind, dialect) for column, kind in columns.items()}
        nested.setdefault(layer, {})[table] = {c: k for c, k in typed.items() if k}
    return dict(nested)


def _sql_type(kind: str, dialect: str) -> str:
    """A SQL type name for ``kind``, which may also be an Arrow type's ``str()``.

    Arrow spellings are accepted so that an engine can pass the schemas of its inputs as it
    has them (``double``, ``decimal128(10, 2)``, ``timestamp[us, tz=UTC]``, ``date32[day]``).
    An unknown spelling gives "" (the column's type stays unknown).
    """
    text = kind.strip()
    lowered = text.lower()
    if lowered.startswith("timestamp["):
        text = "TIMESTAMPTZ" if "tz=" in lowered else "TIMESTAMP"
    elif lowered.startswith(("date32", "date64")):
        text = "DATE"
    elif lowered in ("large_string", "large_utf8", "utf8"):
        text = "VARCHAR"
    elif lowered.startswith(("decimal128(", "decimal256(")):
        text = "DECIMAL" + text[text.index("(") :]
    try:
        return exp.DataType.build(text, dialect=dialect).sql(dialect=dialect)
    except (SqlglotError, ValueError):
        return ""
