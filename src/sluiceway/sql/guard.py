"""The read-only guard for SQL a user types (``sluiceway query``, the REST API).

Such SQL runs on an engine that can read files and settings on the server, so it may only
read catalog tables. The guard refuses, with the position of the offending token:

- anything :func:`parse_query` refuses (writes, DDL, ATTACH, SET, INSTALL, several statements);
- every table function except ``range``, ``generate_series`` and ``unnest``: table functions
  are where engines read the outside world (``read_csv``, ``glob``, ``query_table``,
  ``duckdb_settings()``…), so they are allowed by name only;
- the scalar functions in :data:`DENIED_NAMES` and with a prefix in :data:`DENIED_PREFIXES` or
  suffix in :data:`DENIED_SUFFIXES`. Scalars are allowed by default because DuckDB has about a
  thousand pure ones and only a handful touch anything outside the query: readers
  (``read_*``, ``*_scan``, ``parquet_*``, ``glob``, ``sniff_csv``), the environment and settings
  (``getenv``, ``current_setting``, ``getvariable``, ``duckdb_*``, ``pragma_*``), and functions
  with side effects on the shared engine (``sleep_ms``, ``write_log``, ``setseed``, sequences).
  A unit test lists DuckDB's functions so that a new reader in a new version fails the build;
- a string used as a table (``FROM 'orders.csv'``, which DuckDB reads as a file);
- tables that are not in the catalog (with the closest names).

Time travel: ``raw.orders@v3`` reads version 3, ``raw.orders@'2024-05-01T00:00:00Z'`` the
version current at that instant. The suffix is found in sqlglot's token stream (an ``@``
right after a table name), so an ``@`` inside a string or comment is left alone, and it is
blanked out with spaces so that every later error still points at the right column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from sluiceway.sql.deps import base_tables, check_tables, is_string_table, position, table_name
from sluiceway.sql.errors import SqlError
from sluiceway.sql.parse import parse_query, tokenize

TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
DENIED_NAMES = frozenset(
    {
        "glob",
        "sniff_csv",
        "getenv",
        "current_setting",
        "getvariable",
        "query",
        "query_table",
        "which_secret",
        "json_execute_serialized_sql",
        "checkpoint",
        "force_checkpoint",
        "sleep_ms",
        "write_log",
        "setseed",
        "nextval",
        "currval",
        "setval",
    }
)
DENIED_PREFIXES = ("read_", "parquet_", "duckdb_", "pragma_", "iceberg_", "delta_")
DENIED_SUFFIXES = ("_scan",)
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})


@dataclass(frozen=True)
class Pin:
    """A table read at a version or at an instant (UTC) instead of its latest version."""

    version: int | None = None
    as_of: dt.datetime | None = None


@dataclass(frozen=True)
class GuardedQuery:
    """A query the guard accepted: ``sql`` is normalized, in the dialect, without pins."""

    sql: str
    tables: tuple[str, ...]
    pins: Mapping[str, Pin]


def is_denied(name: str) -> bool:
    """Whether a function may not be called in a guarded query, wherever it appears."""
    name = name.lower()
    return (
        name in DENIED_NAMES or name.startswith(DENIED_PREFIXES) or name.endswith(DENIED_SUFFIXES)
    )


def guard_query(sql: str, known: Collection[str], *, dialect: str = "duckdb") -> GuardedQuery:
    """Accept ``sql`` if it only reads ``known`` tables, and return it normalized.

    Raises:
        SqlError: the query is refused; the error points at the offending token.
    """
    blanked, pinned = _extract_pins(sql, tokenize(sql, dialect=dialect))
    try:
        query = parse_query(blanked, dialect=dialect)
    except SqlError as exc:
        exc.source = sql  # same offsets: pins were replaced by spaces
        raise
    check_functions(query, sql)
    tables = check_tables(query, known, source=sql)
    pins = _resolve_pins(query, pinned, sql)
    return GuardedQuery(query.sql(dialect=dialect), tuple(tables), pins)


@dataclass(frozen=True)
class _PinAt:
    name: str
    pin: Pin
    name_end: int
    start: int
    end: int


def _extract_pins(sql: str, tokens: list[Token]) -> tuple[str, list[_PinAt]]:
    """The SQL with every ``name@pin`` suffix blanked, and the pins found."""
    found: list[_PinAt] = []
    text = list(sql)
    for i, token in enumerate(tokens):
        if token.token_type != TokenType.PARAMETER or token.text != "@" or i == 0:
            continue
        before, after = tokens[i - 1], tokens[i + 1] if i + 1 < len(tokens) else None
        gap = sql[before.end + 1 : token.start]
        if before.token_type not in _NAME_TOKENS or (gap and not gap.isspace()):
            continue
        if after is None or after.start != token.end + 1:
            raise SqlError.at("a version pin needs a value, e.g. @v3", sql, token.start)
        name = _dotted_name(tokens, i - 1)
        found.append(_PinAt(name, _pin_value(after, sql), before.end, token.start, after.end))
        text[token.start : after.end + 1] = " " * (after.end + 1 - token.start)
    return "".join(text), found


def _dotted_name(tokens: list[Token], last: int) -> str:
    """``layer.name`` ending at token ``last``, normalized like :func:`table_name`."""
    parts = [tokens[last]]
    while last >= 2 and tokens[last - 1].token_type == TokenType.DOT:
        last -= 2
        parts.insert(0, tokens[last])
    return ".".join(
        t.text if t.token_type == TokenType.IDENTIFIER else t.text.lower() for t in parts
    )


def _pin_value(token: Token, sql: str) -> Pin:
    text = token.text
    if token.token_type == TokenType.STRING:
        try:
            instant = dt.datetime.fromisoformat(text)
        except ValueError:
            raise SqlError.at(
                f"'{text}' is not an ISO 8601 instant",
                sql,
                token.start,
                token.end,
                hint="write e.g. @'2024-05-01T00:00:00Z'",
            ) from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.UTC)
        return Pin(as_of=instant.astimezone(dt.UTC))
    if token.token_type == TokenType.VAR and text[:1] in "vV" and text[1:].isdigit():
        return Pin(version=int(text[1:]))
    raise SqlError.at(
        f"'{text}' is not a version pin",
        sql,
        token.start,
        token.end,
        hint="write @v3 for version 3, or @'2024-05-01T00:00:00Z' for an instant",
    )


def _resolve_pins(query: exp.Query, pinned: list[_PinAt], sql: str) -> dict[str, Pin]:
    """Pins by table; a pin must follow a table, and a table is read one way only."""
    ends = {position_end(table): table_name(table) for table in base_tables(query)}
    pins: dict[str, Pin] = {}
    for found in pinned:
        if found.name_end not in ends:
            raise SqlError.at("a version pin must follow a table name", sql, found.start, found.end)
        name = ends[found.name_end]
        if pins.setdefault(name, found.pin) != found.pin:
            raise SqlError.at(
                f"{name} is pinned twice, to different versions",
                sql,
                found.start,
                found.end,
                hint="read one version of a table per query",
            )
    for table in base_tables(query):
        name = table_name(table)
        if name in pins and position_end(table) not in {p.name_end for p in pinned}:
            line, column, length = position(table)
            raise SqlError(
                f"{name} is read both pinned and unpinned",
                line=line,
                column=column,
                source=sql,
                length=length,
                hint=f"pin every mention of {name} the same way",
            )
    return pins


def position_end(table: exp.Table) -> int:
    """Offset of the last character of a table's name (where a pin's ``@`` attaches)."""
    end = table.this.meta_get("end")
    return end if isinstance(end, int) else -1


def check_functions(query: exp.Query, sql: str, *, path: str | None = None) -> None:
    """Refuse file tables, table functions beyond the allow-list and denied functions.

    Pipeline steps get the same check as ad-hoc queries: a step reads catalog tables, and
    files enter through ingestion (exactly once, with quarantine), never through SQL.
    """
    try:
        _check_functions(query, sql)
    except SqlError as exc:
        raise exc.located(path=path) from None


def _check_functions(query: exp.Query, sql: str) -> None:
    for node in query.walk(bfs=False):
        if isinstance(node, exp.Table) and is_string_table(node, sql):
            line, column, length = position(node)
            raise SqlError(
                f"'{node.name}' is a file: a query reads catalog tables only",
                line=line,
                column=column,
                source=sql,
                length=length,
            )
        if isinstance(node, exp.Unnest):
            continue
        if not isinstance(node, exp.Func):
            continue
        name = _function_name(node, sql)
        in_from = isinstance(node.parent, exp.Table | exp.Lateral) and node.parent.this is node
        if in_from and name not in TABLE_FUNCTIONS:
            raise _refused(node, sql, f"table function {name}() is not allowed", name)
        if is_denied(name):
            raise _refused(node, sql, f"{name}() is not allowed", name)


def _function_name(node: exp.Func, sql: str) -> str:
    """The function's name as written (sqlglot keeps the name token's offsets)."""
    start, end = node.meta_get("start"), node.meta_get("end")
    if isinstance(start, int) and isinstance(end, int):
        return sql[start : end + 1].strip('"').lower()
    return node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()


def _refused(node: exp.Func, sql: str, message: str, name: str) -> SqlError:
    start = node.meta_get("start")
    return SqlError.at(
        f"{message}: a query may only read catalog tables",
        sql,
        start if isinstance(start, int) else 0,
        (start + len(name) - 1) if isinstance(start, int) else None,
        hint="tables come from pipelines; range(), generate_series() and unnest() "
        "are the table functions allowed",
    )
