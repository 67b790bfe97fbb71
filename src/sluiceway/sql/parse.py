"""Parse the SQL of a step into one sqlglot query, or say exactly where and why it cannot be.

A sql step is a single read-only query; the step's materialization decides how its result
lands. So anything that writes, changes settings or loads code (INSERT, COPY, ATTACH, SET,
INSTALL, …) is refused here, before any engine sees it. The check is on the token stream and
on the parsed tree, never on a regex over the text, so keywords inside strings and comments
do not count.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from sluiceway.sql.errors import SqlError

SINGLE_SELECT = "a sql step must be a single SELECT"

# Tokens a query can start with; anything else is a command and is refused before parsing,
# which also keeps sqlglot from logging "falling back to parsing as a Command".
_QUERY_START = frozenset(
    {TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.FROM, TokenType.L_PAREN}
)
# sqlglot reports where an unterminated string or bad number starts only inside its message.
_TOKEN_OFFSET = re.compile(r"from \d+:(\d+)$")
_CLASS_IN_MESSAGE = re.compile(r"<class '[\w.]*\.(\w+)'>")
# Clauses whose name helps in "incomplete WHERE"; any other node is just "an expression".
_CLAUSES = frozenset(
    {"Where", "Group", "Having", "Order", "Limit", "Offset", "Join", "From", "Qualify"}
)
_WRITES = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "COPY", "TRUNCATE"}
)
_NOT_A_QUERY_HINTS = {
    "PIVOT": "write SELECT * FROM (PIVOT …)",
    "UNPIVOT": "write SELECT * FROM (UNPIVOT …)",
}


def tokenize(sql: str, *, dialect: str = "duckdb", path: str | None = None) -> list[Token]:
    """The tokens of ``sql``; an unterminated string or quoted name raises :class:`SqlError`."""
    try:
        return Dialect.get_or_raise(dialect).tokenize(sql)
    except TokenError as exc:
        cause = str(exc.__cause__ or "")
        found = _TOKEN_OFFSET.search(cause)
        start = int(found.group(1)) if found else (exc.end or len(sql))
        what = "unterminated string or quoted name" if "Missing" in cause else "invalid token"
        raise SqlError.at(
            f"syntax error: {what}", sql, start, path=path, hint="close the quote"
        ) from None


def split_statements(tokens: list[Token]) -> list[list[Token]]:
    """Tokens grouped per statement; empty statements (``;;``, a trailing ``;``) are dropped."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def parse_query(sql: str, *, path: str | None = None, dialect: str = "duckdb") -> exp.Query:
    """Parse ``sql`` as exactly one query (a trailing ``;`` is fine).

    A bare ``VALUES …`` is returned as ``SELECT * FROM (VALUES …)``, since a VALUES list is
    not a query node in sqlglot's tree.

    Raises:
        SqlError: a syntax error, several statements, or a statement that is not a query;
            the error points at the offending token.
    """
    statements = split_statements(tokenize(sql, dialect=dialect, path=path))
    if not statements:
        raise SqlError(f"empty query: {SINGLE_SELECT}", path=path)
    first = statements[0]
    if first[0].token_type not in _QUERY_START:
        raise _not_a_query(first[0].text.upper(), first[0], sql, path)
    if len(statements) > 1:
        second = statements[1][0]
        raise SqlError.at(
            f"more than one statement: {SINGLE_SELECT}",
            sql,
            second.start,
            second.end,
            path=path,
            hint="remove the ';' and what follows it, or split the work into two steps",
        )
    expression = _parse(first, sql, dialect, path)
    if isinstance(expression, exp.Values):
        return exp.select("*").from_(expression)
    if not isinstance(expression, exp.Query):
        kind = type(expression).__name__.upper()
        if isinstance(expression, exp.Command):
            kind = str(expression.this).upper()
        elif isinstance(expression, exp.TruncateTable):
            kind = "TRUNCATE"
        token = next((t for t in first if t.text.upper() == kind), first[0])
        raise _not_a_query(kind, token, sql, path)
    into = expression.find(exp.Into)
    if into is not None:
        raise _not_a_query("SELECT … INTO", first[0], sql, path, writes=True)
    return expression


def _parse(tokens: list[Token], sql: str, dialect: str, path: str | None) -> exp.Expr | None:
    try:
        parsed = Dialect.get_or_raise(dialect).parser().parse(tokens, sql)
    except ParseError as exc:
        raise _syntax_error(exc, sql, path) from None
    return parsed[0] if parsed else None


def _not_a_query(
    kind: str, token: Token, sql: str, path: str | None, *, writes: bool = False
) -> SqlError:
    if writes or kind in _WRITES:
        hint = "the step's materialization writes the result: keep only the SELECT"
    else:
        hint = _NOT_A_QUERY_HINTS.get(
            kind, "a sql step only reads: SELECT, WITH … SELECT, VALUES or UNION of them"
        )
    return SqlError.at(
        f"{kind} is not a query: {SINGLE_SELECT}", sql, token.start, token.end, path=path, hint=hint
    )


def _syntax_error(exc: ParseError, sql: str, path: str | None) -> SqlError:
    """sqlglot's first error, with the caret spanning the token (its column is the token's end)."""
    if not exc.errors:
        return SqlError(f"syntax error: {exc}", path=path, source=sql)
    error = exc.errors[0]
    highlight = str(error.get("highlight") or "")
    line, column = int(error.get("line") or 1), int(error.get("col") or 1)
    lines = sql.split("\n")
    line_start = sum(len(text) + 1 for text in lines[: line - 1])
    end = line_start + column - 1
    start = max(end - len(highlight) + 1, 0) if highlight else end
    at_end = not str(error.get("end_context") or "").strip()
    message = _describe(str(error.get("description") or ""), highlight, at_end)
    return SqlError.at(message, sql, start, max(end, start), path=path)


def _describe(description: str, highlight: str, at_end: bool) -> str:
    """A readable sentence out of sqlglot's parser messages, which name its own classes."""
    text = description.split(" but got <Token", 1)[0]
    found = _CLASS_IN_MESSAGE.search(text)
    if text.startswith("Required keyword") and found:
        node = found.group(1)
        text = f"incomplete {node.upper()}" if node in _CLAUSES else "incomplete expression"
    elif text.startswith("Invalid expression / Unexpected token"):
        text = "unexpected token"
    text = text[:1].lower() + text[1:]
    where = f"'{highlight}'" if highlight else "end of query"
    if at_end and highlight:
        where += " at the end of the query"
    return f"syntax error at {where}: {text}" if text else f"syntax error at {where}"
