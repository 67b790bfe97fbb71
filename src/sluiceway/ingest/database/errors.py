"""Errors of database ingestion, translated from SQLAlchemy and the driver at the edge.

Driver messages can quote the connection string, so every message built from one goes
through :func:`scrub`, which removes the resolved secret values before anyone sees it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sluiceway.errors import TerminalError, TransientError

REDACTED = "***"


class DatabaseSourceError(TerminalError):
    """The source cannot be read as configured: no such table or column, a bad query."""


class DatabaseUnavailableError(TransientError):
    """The database could not be reached; running the step again may succeed."""


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by ``***`` (longest first, so none leaks)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def driver_message(exc: BaseException, secrets: Iterable[str]) -> str:
    """The driver's own message, without SQLAlchemy's SQL echo and with secrets removed.

    SQLAlchemy wraps driver errors and appends ``[SQL: …]`` and a background link; the
    first lines of the original error are what says what went wrong.
    """
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith(("[SQL:", "[parameters:", "(Background"))]
    return scrub(" ".join(kept[:2]) or type(original).__name__, secrets)
