"""Profiles of committed data, one per commit of a table, read back as a table's history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sluiceway.meta.models import ProfileRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """A recorded profile; ``columns`` are JSON objects (see ``quality.profile``)."""

    env: str
    table: str
    rows: int
    sampled_rows: int
    columns: list[Mapping[str, Any]] = field(default_factory=list)
    delta_version: int | None = None
    run_id: str | None = None
    profiled_at: datetime = field(default_factory=utcnow)
    id: int | None = None


class ProfileRepo:
    """Records and reads profiles."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def record(self, profile: StoredProfile) -> StoredProfile:
        """Store one profile; returns it with its id."""
        row = ProfileRow(
            env=profile.env,
            table_name=profile.table,
            delta_version=profile.delta_version,
            run_id=profile.run_id,
            rows=profile.rows,
            sampled_rows=profile.sampled_rows,
            columns=[dict(c) for c in profile.columns],
            profiled_at=profile.profiled_at,
        )
        with self._store.session(write=True) as session:
            session.add(row)
            session.flush()
            return replace(profile, id=row.id)

    def history(self, env: str, table: str, limit: int | None = None) -> list[StoredProfile]:
        """The table's profiles, newest first."""
        statement = (
            select(ProfileRow)
            .where(ProfileRow.env == env, ProfileRow.table_name == table)
            .order_by(ProfileRow.profiled_at.desc(), ProfileRow.id.desc())
        )
        if limit is not None:
            statement = statement.limit(limit)
        with self._store.session() as session:
            return [_profile(row) for row in session.scalars(statement)]

    def latest(self, env: str, table: str) -> StoredProfile | None:
        """The table's most recent profile, or None."""
        found = self.history(env, table, limit=1)
        return found[0] if found else None


def _profile(row: ProfileRow) -> StoredProfile:
    return StoredProfile(
        id=row.id,
        env=row.env,
        table=row.table_name,
        rows=row.rows,
        sampled_rows=row.sampled_rows,
        columns=list(row.columns or []),
        delta_version=row.delta_version,
        run_id=row.run_id,
        profiled_at=row.profiled_at,
    )
