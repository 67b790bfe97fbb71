"""The physical lines a text file's records span, for ``_sw_source`` (``orders/a.csv:2-1001``).

DuckDB's readers give no line number per row, so a row's lineage names its file and the
range of lines the file's records occupy; a quarantined row carries its own exact line.
Counting is one pass over the bytes before parsing: for a plain file a count of line breaks
(about 0.5 s for TPC-H SF 1's 730 MiB ``lineitem.csv`` read back from the
page cache), for a compressed file a decompression of it.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

CHUNK = 8 * 1024 * 1024


def line_range(path: Path, compression: str, *, first: int) -> tuple[int, int] | None:
    """``(first, last)``: the lines from ``first`` (2 after a header) to the file's last.

    None when the file has no line at or after ``first``, or its bytes cannot be read (a
    broken archive is reported by the integrity check, not here).
    """
    try:
        last = _count_lines(path, compression)
    except (OSError, EOFError, ValueError):
        return None
    except Exception:
        return None
    return (first, last) if last >= first else None


def label(name: str, lines: tuple[int, int] | None) -> str:
    """``name`` with its line range, ``orders/a.csv:2-1001`` (just the name without one)."""
    return name if lines is None else f"{name}:{lines[0]}-{lines[1]}"


def _count_lines(path: Path, compression: str) -> int:
    """Physical lines in the file: line breaks, plus a last line without one."""
    lines, last = 0, b"\n"
    with _open(path, compression) as stream:
        while chunk := stream.read(CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (0 if last == b"\n" else 1)


def _open(path: Path, compression: str) -> Any:
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
    return path.open("rb")
