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
