"""The source's connection: its URL resolved at connect time, and a form safe to show.

The spec holds ``postgresql+psycopg://app:${env:PGPASS}@db/shop``. The URL is parsed with
the references still in it and each part is resolved on its own, so a password holding
``@`` or ``/`` needs no percent-encoding. Every resolved reference value is treated as a
secret: :func:`~sluiceway.ingest.database.errors.scrub` removes it from any message, and
:attr:`SourceUrl.display` — what ``_sw_source``, logs and errors show — carries no user,
password or query string at all (a query string can hold ``sslpassword=``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluiceway.ingest.database.errors import (
    DatabaseSourceError,
    DatabaseUnavailableError,
    driver_message,
    scrub,
)
from sluiceway.spec.secrets import references, resolve

if TYPE_CHECKING:
    import sqlalchemy as sa

_AUTH_SQLSTATE = "28"
"""SQLSTATE class 28, invalid authorization: retrying with the same credentials cannot help."""


@dataclass(frozen=True)
class SourceUrl:
    """A resolved connection URL, what may be shown of it, and the values never to show."""

    url: sa.URL
    display: str
    secrets: tuple[str, ...]

    def __repr__(self) -> str:
        return f"SourceUrl({self.display!r})"


def resolve_url(raw: str, environ: Mapping[str, str] | None = None) -> SourceUrl:
    """Resolve the ``${env:NAME}`` references of ``raw`` into a SQLAlchemy URL.

    Raises:
        SecretNotSetError: a referenced variable is not set (the message names it).
        DatabaseSourceError: the text is not a SQLAlchemy URL.
    """
    import os

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    env = os.environ if environ is None else environ
    secrets = tuple(env[name] for name in references(raw) if env.get(name))

    def part(value: str | None) -> str | None:
        return None if value is None else resolve(value, env)

    try:
        parsed = make_url(raw)
        url = parsed.set(
            username=part(parsed.username),
            password=part(parsed.password),
            host=part(parsed.host),
            database=part(parsed.database),
            query={
                key: resolve(value, env)
                if isinstance(value, str)
                else [resolve(v, env) for v in value]
                for key, value in parsed.query.items()
            },
        )
    except (ArgumentError, ValueError):
        # A reference where the parser wants a number (``:${env:PORT}``): resolve the text.
        try:
            url = make_url(resolve(raw, env))
        except (ArgumentError, ValueError):
            raise DatabaseSourceError(
                f"{_masked(raw)} is not a SQLAlchemy URL",
                hint="write dialect+driver://user:${env:PASSWORD}@host:port/database",
            ) from None
    if isinstance(url.password, str) and url.password:
        secrets += (url.password,)
    secrets = tuple(dict.fromkeys(secrets))
    return SourceUrl(url=url, display=scrub(display_url(url), secrets), secrets=secrets)


def display_url(url: sa.URL) -> str:
    """``postgresql://db:5432/shop``: dialect, host, port and database, no credentials."""
    from sqlalchemy.engine import URL

    shown = URL.create(url.get_backend_name(), host=url.host, port=url.port, database=url.database)
    return shown.render_as_string(hide_password=True)


@contextmanager
def connect(source: SourceUrl, *, what: str) -> Iterator[sa.Connection]:
    """One connection to the source for the step's whole read, closed (and pool gone) after.

    Args:
        source: the resolved URL.
        what: who is connecting, for messages (``step orders``).

    Raises:
        DatabaseUnavailableError: the server cannot be reached (transient).
        DatabaseSourceError: the driver is missing or the credentials are refused.
    """
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError

    try:
        # NullPool: a step connects once per run; a pool would only keep sockets open.
        engine = sa.create_engine(source.url, poolclass=sa.pool.NullPool)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        module = getattr(exc, "name", None)
        raise DatabaseSourceError(
            f"{what}: cannot open {source.display}: {scrub(str(exc), source.secrets)}",
            hint=(f"pip install {module}" if module else "install the database's driver")
            + " (PostgreSQL: pip install 'sluiceway[postgres]'), or fix the URL's dialect+driver",
        ) from None
    try:
        try:
            connection = engine.connect()
        except DBAPIError as exc:
            # ``from None``: the chained driver error could quote the connection string.
            raise _connect_error(exc, source, what) from None
        with connection:
            yield connection
    finally:
        engine.dispose()


def read_error(
    exc: BaseException, source: SourceUrl, what: str
) -> DatabaseSourceError | DatabaseUnavailableError:
    """A driver error raised while reading, as the error a user should see (no secrets).

    A lost connection may work next time; anything else the database refused (a syntax
    error, a missing column, no permission) will fail again until the source is fixed.
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    message = f"{what}: reading {source.display} failed: {driver_message(exc, source.secrets)}"
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, OperationalError)
    ):
        return DatabaseUnavailableError(message, hint="run the step again")
    return DatabaseSourceError(
        message, hint="fix the source's table, query or cursor; try the query in a SQL client"
    )


def _connect_error(
    exc: BaseException, source: SourceUrl, what: str
) -> DatabaseSourceError | DatabaseUnavailableError:
    message = f"{what}: cannot connect to {source.display}: {driver_message(exc, source.secrets)}"
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
    if sqlstate.startswith(_AUTH_SQLSTATE):
        return DatabaseSourceError(
            message, hint="check the user and the ${env:…} password the source URL references"
        )
    return DatabaseUnavailableError(
        message,
        hint="check that the database is running and reachable from here, and the URL's host, "
        "port, user and password; the step can simply be run again",
    )


def _masked(raw: str) -> str:
    from sluiceway.spec.secrets import mask_url

    return mask_url(raw)
