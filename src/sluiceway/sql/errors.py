"""Errors of the SQL layer: a user's SQL that cannot be used, said where and why.

A :class:`SqlError` prints like a compiler diagnostic (``file:line:column: message``, the
offending line and a caret under the token), because the user fixes it in an editor and needs
to find the spot without counting characters.
"""

from __future__ import annotations

from sluiceway.errors import TerminalError, UsageError

QUERY_LABEL = "<query>"


class SqlError(UsageError):
    """A template, syntax or policy problem in one piece of SQL, with its position.

    ``line`` and ``column`` are 1-based and point at the first character of the offending
    token; ``length`` is how many characters the caret spans. ``source`` is the whole SQL text
    the position refers to (the offending line is cut out of it when printing).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
        hint: str | None = None,
        length: int = 1,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line
        self.column = column
        self.source = source
        self.length = max(length, 1)

    @classmethod
    def at(
        cls,
        message: str,
        source: str,
        start: int,
        end: int | None = None,
        *,
        path: str | None = None,
        hint: str | None = None,
    ) -> SqlError:
        """An error at character offsets ``start``..``end`` (inclusive) of ``source``.

        sqlglot's tokens and identifiers carry offsets, which survive multi-line strings and
        tabs where its line/column pairs (the column is the token's *end*) do not.
        """
        start = min(max(start, 0), len(source))
        line = source.count("\n", 0, start) + 1
        column = start - (source.rfind("\n", 0, start) + 1) + 1
        length = 1 if end is None else end - start + 1
        return cls(
            message,
            path=path,
            line=line,
            column=column,
            source=source,
            hint=hint,
            length=length,
        )

    @property
    def location(self) -> str:
        """``path:line:column`` (as much of it as is known); ``<query>`` stands in for a path."""
        where = self.path or QUERY_LABEL
        if self.line is None:
            return where
        if self.column is None:
            return f"{where}:{self.line}"
        return f"{where}:{self.line}:{self.column}"

    def located(self, *, path: str | None = None, source: str | None = None) -> SqlError:
        """A copy that names ``path``/``source`` where this error had none.

        Lower layers (the parser, the guard) do not know which file the SQL came from; the
        caller that does fills it in without re-raising a different type.
        """
        return type(self)(
            self.message,
            path=self.path or path,
            line=self.line,
            column=self.column,
            source=self.source if self.source is not None else source,
            hint=self.hint,
            length=self.length,
        )

    def excerpt(self) -> list[str]:
        """The offending source line and a caret line under the token, indented by 4."""
        if self.source is None or self.line is None:
            return []
        lines = self.source.splitlines()
        if not 1 <= self.line <= len(lines):
            return []
        text = lines[self.line - 1]
        if self.column is None:
            return [f"    {text}"]
        column = max(self.column, 1)
        # Keep tabs in the padding so the caret lines up however the terminal renders them.
        pad = "".join(c if c == "\t" else " " for c in text[: column - 1])
        width = max(min(self.length, len(text) - column + 1), 1)
        return [f"    {text}", f"    {pad}{'^' * width}"]

    def __str__(self) -> str:
        parts = [f"{self.location}: {self.message}", *self.excerpt()]
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UntranslatableError(TerminalError):
    """A construct that would change meaning in the target dialect, so it is refused.

    The message names the construct and the dialect, the hint what to write instead: a query
    that silently returns different rows on Spark than on DuckDB is worse than one that does
    not run. ``construct`` and ``dialect`` are kept for callers that report them separately.
    """

    def __init__(
        self,
        message: str,
        *,
        construct: str | None = None,
        dialect: str | None = None,
        hint: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        where = f"{path or QUERY_LABEL}:{line}: " if line is not None else ""
        if path and line is None:
            where = f"{path}: "
        super().__init__(f"{where}{message}", hint=hint)
        self.construct = construct
        self.dialect = dialect
        self.path = path
        self.line = line
