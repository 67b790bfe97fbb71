"""Metadata store URLs: environment references, project-relative SQLite paths, masking.

A project's ``metadata`` setting is a SQLAlchemy URL that may say
``postgresql+psycopg://sw:${env:PGPASSWORD}@db/sw``; references are resolved by
:func:`sluiceway.spec.secrets.resolve` at the moment the store is opened. The password
never belongs in the YAML, and never in a message either, so every URL shown to a person
goes through :func:`mask_url`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sluiceway.meta.errors import StoreConfigError
from sluiceway.spec.secrets import resolve

DEFAULT_URL = "sqlite:///.sluiceway/metadata.db"


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``, safe to print or log."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        # Unparseable: hide anything between "://user:" and "@" rather than show it.
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def password_of(url: str) -> str | None:
    """The URL's password, if any: used only to scrub it out of driver messages."""
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    return str(password) if password else None


def anchor_sqlite_path(url: str, root: Path) -> str:
    """Make a relative SQLite path relative to ``root`` (the project), and create its folder.

    Other URLs, in-memory SQLite and absolute paths are returned unchanged (apart from the
    folder being created for absolute SQLite paths).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreConfigError(f"metadata URL {mask_url(url)!r} is not a valid URL") from exc
    if parsed.get_backend_name() != "sqlite":
        return url
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database)
    if not path.is_absolute():
        path = root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def project_metadata_url(project: Any, environ: Mapping[str, str]) -> str:
    """The resolved metadata URL of ``project`` (``root`` and ``settings.metadata``)."""
    settings = getattr(project, "settings", None)
    raw = getattr(settings, "metadata", None) or DEFAULT_URL
    return anchor_sqlite_path(resolve(str(raw), environ), Path(project.root))
