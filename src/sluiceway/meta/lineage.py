"""Lineage edges in the metadata store: record a table's inputs, walk up or down the graph."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, delete, select

from sluiceway.meta.models import LineageEdgeRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore


@dataclass(frozen=True, slots=True)
class Edge:
    """``source.source_column`` feeds ``target.column`` (columns None: table level)."""

    target: str
    column: str | None
    source: str
    source_column: str | None


class LineageRepo:
    """Each computed table's lineage, as of its latest commit that recorded one."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def record(
        self,
        env: str,
        target: str,
        edges: Iterable[Edge],
        *,
        delta_version: int | None = None,
        run_id: str | None = None,
    ) -> None:
        """Replace ``target``'s edges with ``edges`` in one transaction."""
        now = utcnow()
        rows = [
            LineageEdgeRow(
                env=env,
                target=target,
                column=e.column,
                source=e.source,
                source_column=e.source_column,
                delta_version=delta_version,
                run_id=run_id,
                recorded_at=now,
            )
            for e in edges
        ]
        with self._store.session(write=True) as session:
            session.execute(
                delete(LineageEdgeRow).where(
                    LineageEdgeRow.env == env, LineageEdgeRow.target == target
                )
            )
            session.add_all(rows)

    def upstream(self, env: str, table: str) -> list[Edge]:
        """The edges into ``table``."""
        query = select(LineageEdgeRow).where(
            LineageEdgeRow.env == env, LineageEdgeRow.target == table
        )
        return self._edges(query)

    def downstream(self, env: str, table: str) -> list[Edge]:
        """The edges out of ``table``."""
        query = select(LineageEdgeRow).where(
            LineageEdgeRow.env == env, LineageEdgeRow.source == table
        )
        return self._edges(query)

    def _edges(self, query: Select[Any]) -> list[Edge]:
        with self._store.session() as session:
            found = [
                Edge(r.target, r.column, r.source, r.source_column) for r in session.scalars(query)
            ]
        return sorted(
            found, key=lambda e: (e.target, e.column or "", e.source, e.source_column or "")
        )
