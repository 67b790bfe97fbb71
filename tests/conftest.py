"""Shared fixtures: real services (with one skip-or-fail rule) and metadata stores.

A test that needs a service calls :func:`require_service` (or the fixture of the same
name). On a developer's laptop a missing service skips the test with the reason; under
``CI=true`` it fails, so CI cannot go green by skipping everything.

``metadata_url`` runs a test on SQLite and on PostgreSQL. PostgreSQL tests get a fresh
database per test, cloned from a session-wide template that already has the migrations
(``CREATE DATABASE … TEMPLATE``), and dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.services import require_service

POSTGRES_HOST = os.environ.get("SLUICEWAY_TEST_PG_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("SLUICEWAY_TEST_PG_PORT", "5432"))
POSTGRES_USERS = ("postgres", "root")
POSTGRES_ADMIN_DB = "test"


@pytest.fixture(name="require_service")
def require_service_fixture() -> Callable[..., Any]:
    """:func:`require_service`, for tests that prefer fixtures to imports."""
    return require_service


# ---------------------------------------------------------------- PostgreSQL


class PostgresServer:
    """Admin access to the test server: create and drop throwaway databases."""

    def __init__(self, user: str) -> None:
        self.user = user

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on the test server."""
        return f"postgresql+psycopg://{self.user}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"

    def execute(self, sql: str) -> None:
        """Run one admin statement (autocommit: CREATE/DROP DATABASE need it)."""
        import psycopg

        conninfo = (
            f"host={POSTGRES_HOST} port={POSTGRES_PORT} user={self.user} "
            f"dbname={POSTGRES_ADMIN_DB} connect_timeout=3"
        )
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self, template: str | None = None) -> str:
        """A new, uniquely named database; returns its name."""
        name = f"sw_{uuid.uuid4().hex[:16]}"
        clause = f" TEMPLATE {template}" if template else ""
        self.execute(f'CREATE DATABASE "{name}"{clause}')
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting anyone still connected."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _connect_postgres() -> PostgresServer:
    errors = []
    for user in POSTGRES_USERS:
        server = PostgresServer(user)
        try:
            server.execute("SELECT 1")
        except Exception as exc:
            errors.append(f"{user}: {exc}".strip())
            continue
        return server
    raise ConnectionError("; ".join(errors))


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The PostgreSQL test server (skips, or fails under CI, when it is unreachable)."""
    return require_service(
        f"PostgreSQL on {POSTGRES_HOST}:{POSTGRES_PORT}",
        _connect_postgres,
        hint="start PostgreSQL 15 with trust auth for user postgres or root",
    )


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> Iterator[str]:
    """A database with the metadata migrations applied, to clone per test."""
    from sluiceway.meta.store import open_store

    name = postgres_server.create_database()
    try:
        open_store(postgres_server.url(name)).close()
        yield name
    finally:
        postgres_server.drop_database(name)


# ---------------------------------------------------------------- metadata stores


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite metadata database, to copy per test."""
    from sluiceway.meta.store import open_store

    path = tmp_path_factory.mktemp("meta-template") / "metadata.db"
    open_store(f"sqlite:///{path}").close()  # closing the last connection removes the WAL
    return path


METADATA_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=METADATA_BACKENDS)
def metadata_backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``: which database the test runs on."""
    return str(request.param)


@pytest.fixture
def metadata_url(
    metadata_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """URL of a fresh, migrated metadata store on SQLite and on PostgreSQL."""
    if metadata_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "metadata.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database(template=request.getfixturevalue("postgres_template"))
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def empty_metadata_url(
    metadata_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """URL of an empty database (no migrations applied) on SQLite and on PostgreSQL."""
    if metadata_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def store(metadata_url: str) -> Iterator[Any]:
    """An open :class:`~sluiceway.meta.store.MetaStore` on a fresh database."""
    from sluiceway.meta.store import open_store

    opened = open_store(metadata_url)
    try:
        yield opened
    finally:
        opened.close()


# ---------------------------------------------------------------- S3 and the lake


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[Any]:
    """moto's S3 server on 127.0.0.1, in a child process, one per test session."""
    from support.s3 import start_moto, stop_moto

    server, endpoint = require_service(
        "moto S3 server", start_moto, hint="pip install 'moto[server]'"
    )
    yield endpoint
    stop_moto(server)


@pytest.fixture(
    params=[pytest.param("file", id="file"), pytest.param("s3", id="s3", marks=pytest.mark.s3)]
)
def lake_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A fresh, empty lake on a local folder and on an S3 bucket (``@pytest.mark.s3``)."""
    from sluiceway.lake.storage import LakeStorage, S3Access

    if request.param == "file":
        return LakeStorage(root=str(tmp_path / "lake"))
    endpoint = request.getfixturevalue("s3_endpoint")
    env = endpoint.environ()
    return LakeStorage(
        root=f"s3://{endpoint.new_bucket()}/lake",
        s3=S3Access(
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region=env["AWS_REGION"],
            access_key_id=env["AWS_ACCESS_KEY_ID"],
            secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            allow_http=True,
        ),
    )
