"""A reader's failure on a file, said as users read it: the file, what is wrong, what to do.

DuckDB's messages start with its error class and name the local copy it read (a temporary
file when the landing zone is on S3); users know the file by its landing path. Each reader
turns the failures it recognises into plain sentences and keeps DuckDB's words, cleaned by
:func:`detail`, for the others.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import duckdb

from sluiceway.engines.errors import QueryError

if TYPE_CHECKING:
    from pathlib import Path

_ERROR_CLASS = re.compile(r"^(?:[A-Z][A-Za-z]*[ ])*Error: ")


def file_at_fault(exc: BaseException) -> duckdb.Error:
    """The DuckDB error behind a reader's failure, when the file is to blame.

    Re-raises ``exc`` when it is not: out of memory, or not an error of DuckDB's. The step
    then fails (and may be retried) rather than recording the file as failed for good.
    """
    cause = exc.__cause__ if isinstance(exc, QueryError) else exc
    if isinstance(cause, duckdb.OutOfMemoryException) or not isinstance(cause, duckdb.Error):
        raise exc
    return cause


def detail(exc: BaseException, path: Path, name: str) -> str:
    """The first line of ``exc``, without an error class, naming the file as ``name``."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return _ERROR_CLASS.sub("", first.replace(str(path), name))
