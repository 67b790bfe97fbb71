"""DuckDB ``strftime``/``strptime`` formats → Spark datetime patterns, refusing what differs.

sqlglot's own mapping leaves literal letters unquoted, and in a Spark pattern every letter is a
field: ``'%Hh%M'`` became ``'HHhmm'``, printing ``'231130'`` where DuckDB printed ``'23h30'``.
It also maps ``%j`` to ``DD`` (``'31'`` instead of ``'031'``). So the conversion is done here,
directive by directive, quoting literal text, and a directive without a faithful equivalent
(week numbers, time zones, locale formats) is refused rather than guessed.
"""

from __future__ import annotations

# Printing: fields padded as DuckDB pads them.
FORMAT = {
    "a": "EEE",
    "A": "EEEE",
    "b": "MMM",
    "B": "MMMM",
    "d": "dd",
    "-d": "d",
    "f": "SSSSSS",
    "g": "SSS",
    "H": "HH",
    "-H": "H",
    "I": "hh",
    "-I": "h",
    "j": "DDD",
    "-j": "D",
    "m": "MM",
    "-m": "M",
    "M": "mm",
    "-M": "m",
    "p": "a",
    "S": "ss",
    "-S": "s",
    "y": "yy",
    "Y": "yyyy",
}
# Parsing: DuckDB accepts one or two digits for %d/%m/%H/…, and so do Spark's single letters.
PARSE = {
    **FORMAT,
    "d": "d",
    "H": "H",
    "I": "h",
    "j": "D",
    "m": "M",
    "M": "m",
    "S": "s",
}


# Spark reserves these besides letters (optional sections, future use).
_RESERVED = frozenset("'[]#{}")


class UnsupportedDirective(ValueError):
    """A ``%`` directive with no faithful Spark equivalent; ``str()`` is the directive."""


def to_spark_pattern(fmt: str, *, parsing: bool) -> str:
    """The Spark pattern equivalent to DuckDB's ``fmt``.

    Raises:
        UnsupportedDirective: ``fmt`` uses a directive that Spark renders differently.
    """
    table = PARSE if parsing else FORMAT
    out: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            out.append(_quote("".join(literal)))
            literal.clear()

    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char != "%":
            literal.append(char)
            i += 1
            continue
        directive = fmt[i + 1 : i + 3] if fmt[i + 1 : i + 2] == "-" else fmt[i + 1 : i + 2]
        if directive == "%":
            literal.append("%")
        elif directive in table:
            flush()
            out.append(table[directive])
        else:
            raise UnsupportedDirective(f"%{directive}")
        i += 1 + len(directive)
    flush()
    return "".join(out)


def _quote(text: str) -> str:
    """Literal text in a Spark pattern: letters and reserved characters inside '…'."""
    if not any(c.isalpha() or c in _RESERVED for c in text):
        return text
    return "'" + text.replace("'", "''") + "'"
