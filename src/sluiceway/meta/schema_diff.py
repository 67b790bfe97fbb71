"""Columns of a table schema and the difference between two schemas, as plain data.

Pure functions, no database: the catalog stores their output with each schema version,
and schema policies (``evolve``, ``strict``…) will read it to decide what a change means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, type (as the engine spells it), nullability and documentation.

    Only name, type and nullability make up the schema; description and tags are metadata
    and changing them does not create a schema version.
    """

    name: str
    type: str
    nullable: bool = True
    description: str | None = None
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The column as a JSON object."""
        return {
            "name": self.name,
            "type": self.type,
            "nullable": self.nullable,
            "description": self.description,
            "tags": list(self.tags),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Column:
        """The column from :meth:`to_json`'s output."""
        return cls(
            name=data["name"],
            type=data["type"],
            nullable=bool(data.get("nullable", True)),
            description=data.get("description"),
            tags=tuple(data.get("tags") or ()),
        )


@dataclass(frozen=True, slots=True)
class ColumnChange:
    """A column present in both schemas whose type or nullability changed."""

    name: str
    before: Column
    after: Column


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """What changed from one schema to the next."""

    added: tuple[Column, ...] = ()
    removed: tuple[Column, ...] = ()
    changed: tuple[ColumnChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the two schemas are the same (documentation aside)."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """``{added: [...], removed: [...], changed: [{name, from, to}]}``."""
        return {
            "added": [c.to_json() for c in self.added],
            "removed": [c.to_json() for c in self.removed],
            "changed": [
                {
                    "name": c.name,
                    "from": {"type": c.before.type, "nullable": c.before.nullable},
                    "to": {"type": c.after.type, "nullable": c.after.nullable},
                }
                for c in self.changed
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SchemaChange:
        """The change from :meth:`to_json`'s output."""
        return cls(
            added=tuple(Column.from_json(c) for c in data.get("added", ())),
            removed=tuple(Column.from_json(c) for c in data.get("removed", ())),
            changed=tuple(
                ColumnChange(
                    name=c["name"],
                    before=Column(c["name"], c["from"]["type"], c["from"]["nullable"]),
                    after=Column(c["name"], c["to"]["type"], c["to"]["nullable"]),
                )
                for c in data.get("changed", ())
            ),
        )


def diff_schema(before: Sequence[Column], after: Sequence[Column]) -> SchemaChange:
    """The change from ``before`` to ``after``, matching columns by name.

    Column order is not part of the comparison: Delta resolves columns by name.
    """
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    return SchemaChange(
        added=tuple(c for c in after if c.name not in old),
        removed=tuple(c for c in before if c.name not in new),
        changed=tuple(
            ColumnChange(c.name, old[c.name], c)
            for c in after
            if c.name in old and (old[c.name].type, old[c.name].nullable) != (c.type, c.nullable)
        ),
    )


def duplicate_names(columns: Iterable[Column]) -> list[str]:
    """Names that appear more than once (a schema must not have any)."""
    seen: set[str] = set()
    dupes: list[str] = []
    for column in columns:
        if column.name in seen and column.name not in dupes:
            dupes.append(column.name)
        seen.add(column.name)
    return dupes
