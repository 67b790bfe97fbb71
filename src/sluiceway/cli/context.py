"""What every command shares: the project folder, the environment and the debug flag.

Loading the project and opening the metadata store are done on first use, so a command
that needs neither pays for neither.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project


@dataclass
class CliState:
    """Options given before the command name, kept for the command to use."""

    project_dir: Path = field(default_factory=Path.cwd)
    env: str | None = None
    debug: bool = False
    _project: Project | None = None
    _store: MetaStore | None = None

    def project(self) -> Project:
        """The project in ``project_dir``, validated; raises ``SpecError`` listing problems."""
        if self._project is None:
            from sluiceway.spec.project import load_project

            self._project = load_project(self.project_dir, env=self.env, environ=os.environ)
        return self._project

    def store(self) -> MetaStore:
        """The project's metadata store, migrated to the current schema."""
        if self._store is None:
            from sluiceway.meta.store import open_project_store

            self._store = open_project_store(self.project())
        return self._store

    def close(self) -> None:
        """Release the metadata store and forget the project, ready for another command."""
        if self._store is not None:
            self._store.close()
            self._store = None
        self._project = None


# One process runs one command: module state is the simplest carrier for the options.
state = CliState()


def get_state(ctx: typer.Context | None = None) -> CliState:
    """The options of the current invocation."""
    return state


def catalog_store(project: Project) -> MetaStore | None:
    """The metadata store to read the catalog from, or None when there is none to read.

    For commands that look at the catalog and change nothing (``validate``, ``graph``): a
    local SQLite store that does not exist yet is not created (it has no catalog anyway), and
    a store is not migrated. When the store cannot be read, a note says table names are
    checked against the project's own tables only.
    """
    from sqlalchemy.engine import make_url

    from sluiceway.cli.render import err_console
    from sluiceway.errors import SluicewayError
    from sluiceway.meta.catalog import CatalogRepo
    from sluiceway.meta.store import open_store
    from sluiceway.meta.urls import DEFAULT_URL
    from sluiceway.spec.secrets import resolve

    store = None
    try:
        url = resolve(str(project.settings.metadata or DEFAULT_URL), os.environ)
        parsed = make_url(url)
        database = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
            path = Path(database)
            path = path if path.is_absolute() else project.root / path
            if not database.startswith("file:") and not path.is_file():
                return None
            url = parsed.set(database=str(path)).render_as_string(hide_password=False)
        store = open_store(url, migrate=False)
        CatalogRepo(store).tables(project.env)
    except (SluicewayError, ValueError) as exc:
        if store is not None:
            store.close()
        message = exc.message if isinstance(exc, SluicewayError) else str(exc)
        err_console.print(
            f"note: the catalog could not be read ({message}): table names are checked "
            "against the tables the project writes only",
            markup=False,
            soft_wrap=True,
        )
        return None
    return store
