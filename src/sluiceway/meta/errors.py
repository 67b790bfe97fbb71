"""Errors of the metadata store, and the one place driver errors become ours.

SQLAlchemy and the drivers raise their own exceptions whose messages can carry a connection
URL; :func:`translate` turns them into Sluiceway errors at the store's edge, with the
password masked, so the CLI prints one readable line and the retry logic knows whether
trying again can help.
"""

from __future__ import annotations

from sluiceway.errors import SluicewayError, TerminalError, TransientError


class MetaError(SluicewayError):
    """Base class of the metadata store's errors."""


class StoreUnavailableError(MetaError, TransientError):
    """The database cannot be reached or is busy; trying again later may work."""


class StoreTooNewError(MetaError, TerminalError):
    """The database was migrated by a newer Sluiceway than the one running."""


class StoreConfigError(MetaError, TerminalError):
    """The metadata URL is malformed or names an unsupported database."""


class NotFoundError(MetaError, TerminalError):
    """A table, run or record that was asked for does not exist."""


class ConflictError(MetaError, TerminalError):
    """A write broke a uniqueness or reference rule (for example a duplicate run id)."""


class InvalidTransitionError(MetaError, TerminalError):
    """A run or step was asked to move to a status its current status does not allow."""


def translate(exc: BaseException, masked_url: str, secret: str | None = None) -> MetaError:
    """Turn a SQLAlchemy/driver exception into a :class:`MetaError`.

    Args:
        exc: the exception the driver raised.
        masked_url: the store URL with its password replaced, for the message.
        secret: the password, removed from the driver's text should it appear there.
    """
    from sqlalchemy import exc as sa_exc

    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else ""
    if secret:
        detail = detail.replace(secret, "***")
    if isinstance(exc, sa_exc.IntegrityError):
        return ConflictError(f"metadata store rejected a write: {detail}")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return StoreUnavailableError(
            f"metadata store {masked_url} is unavailable: {detail}",
            hint="check that the database is running and the `metadata` URL is right",
        )
    return MetaError(f"metadata store {masked_url} failed: {detail}")
