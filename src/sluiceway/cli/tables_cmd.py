"""``sluiceway tables`` and ``describe``: what the lake holds, from the catalog and the log.

Also the helpers every table command shares: opening the project's lake and turning the
``layer.name`` a user typed into a table, with a did-you-mean when it is not one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sluiceway.lake.maintenance import TableRef
    from sluiceway.lake.service import Lake
    from sluiceway.meta.catalog import TableInfo
    from sluiceway.meta.store import MetaStore

TABLE_COLUMNS = ("table", "layer", "version", "rows", "files", "owner", "tags", "updated")
SCHEMA_COLUMNS = ("version", "delta_version", "change", "run_id", "created_at")


@dataclass
class LakeSession:
    """The project's lake in the selected environment, with its catalog."""

    lake: Lake
    store: MetaStore

    @property
    def env(self) -> str:
        """The selected environment."""
        return self.lake.env

    def catalog(self) -> dict[str, TableInfo]:
        """Registered tables of the environment, by ``layer.name``."""
        return {t.qualified_name: t for t in self.store.catalog.tables(self.env)}

    def known(self) -> list[str]:
        """Every table name: registered, or present in the lake without a catalog entry."""
        from sluiceway.lake.maintenance import discover_tables

        found = {str(n) for n in discover_tables(self.lake.storage, self.env)}
        return sorted(found | set(self.catalog()))

    def ref(self, name: str) -> TableRef:
        """A known table; an unknown name is a usage error with a did-you-mean."""
        from sluiceway.errors import UsageError
        from sluiceway.lake.maintenance import TableRef
        from sluiceway.lake.names import TableName
        from sluiceway.spec.problems import did_you_mean

        parsed = TableName.parse(name)
        known = self.known()
        if str(parsed) not in known:
            suggestion = did_you_mean(name, known)
            raise UsageError(
                f"unknown table '{name}' in environment '{self.env}'",
                hint=suggestion or ("known tables: " + ", ".join(known) if known else None),
            )
        return TableRef(self.lake.storage, self.env, parsed)

    def refs(self, name: str | None) -> list[TableRef]:
        """The named table, or every table stored in the environment's lake."""
        from sluiceway.lake.maintenance import TableRef, discover_tables

        if name is not None:
            return [self.ref(name)]
        stored = discover_tables(self.lake.storage, self.env)
        return [TableRef(self.lake.storage, self.env, n) for n in stored]


def lake_session() -> LakeSession:
    """The lake and metadata store of the project the CLI was pointed at."""
    from sluiceway.cli.context import state
    from sluiceway.lake.service import Lake

    store = state.store()
    return LakeSession(Lake.for_project(state.project(), store), store)


def register(app: typer.Typer) -> None:
    """Add the ``tables`` and ``describe`` commands to ``app``."""
    app.command("tables")(tables)
    app.command("describe")(describe)


def tables(
    layer: Annotated[str | None, typer.Option("--layer", help="Only tables of this layer.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List tables: the catalog's, and any found in the lake that the catalog lacks."""
    from sluiceway.cli.render import console, print_rows

    session = lake_session()
    catalog = session.catalog()
    rows = []
    for name in session.known():
        if layer is not None and not name.startswith(f"{layer}."):
            continue
        rows.append(_table_row(session, name, catalog.get(name)))
    if as_json:
        print_rows(rows, [*TABLE_COLUMNS, "registered"], as_json=True)
    elif not rows:
        console.print(f"no tables in environment {session.env}")
    else:
        shown = [
            {**r, "tags": ", ".join(r["tags"]), "updated": _minute(r["updated"])} for r in rows
        ]
        print_rows(shown, TABLE_COLUMNS, title=f"{len(rows)} tables in {session.env}")


def _table_row(session: LakeSession, name: str, info: TableInfo | None) -> dict[str, Any]:
    from sluiceway.lake.maintenance import TableRef
    from sluiceway.lake.names import TableName

    table_name = TableName.parse(name)
    facts = _delta_facts(TableRef(session.lake.storage, session.env, table_name))
    options = session.lake.options(table_name)
    return {
        "table": name,
        "layer": table_name.layer,
        "version": facts.get("version"),
        "rows": facts.get("rows"),
        "files": facts.get("files"),
        "owner": info.owner if info else options.owner,
        "tags": list(info.tags if info else options.tags),
        "updated": facts.get("updated") or (info.updated_at if info else None),
        "registered": info is not None,
    }


def _delta_facts(ref: TableRef) -> dict[str, Any]:
    """Version, rows, files, size and last commit time, from the log only."""
    from sluiceway.lake.errors import TableNotFoundError
    from sluiceway.lake.history import history
    from sluiceway.lake.maintenance.common import file_sizes, row_count

    try:
        table = ref.open()
    except TableNotFoundError:
        return {}
    sizes = file_sizes(table)
    last = history(table, limit=1)
    return {
        "version": table.version(),
        "rows": row_count(table),
        "files": len(sizes),
        "size_bytes": sum(sizes.values()),
        "partition_by": list(table.metadata().partition_columns),
        "updated": last[0].time if last else None,
    }


def describe(
    table: Annotated[str, typer.Argument(help="Table as layer.name, e.g. silver.orders.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show a table: documentation, owner, layout, retention, SLA, columns, schema history."""
    from sluiceway.cli.render import print_json

    session = lake_session()
    ref = session.ref(table)
    info = session.catalog().get(str(ref.name))
    data = _description(session, ref, info)
    if as_json:
        print_json(data)
    else:
        _print_description(data)


def _description(session: LakeSession, ref: TableRef, info: TableInfo | None) -> dict[str, Any]:
    options = session.lake.options(ref.name)
    facts = _delta_facts(ref)
    columns = [c.to_json() for c in info.columns] if info else _delta_columns(ref, options)
    versions = []
    if info is not None:
        for v in session.store.catalog.history(session.env, ref.name.layer, ref.name.name):
            change = v.change.to_json()
            summary = ", ".join(f"{k} {len(x)}" for k, x in change.items() if x) or "created"
            versions.append(
                {
                    "version": v.version,
                    "delta_version": v.delta_version,
                    "change": summary,
                    "run_id": v.run_id,
                    "created_at": v.created_at,
                }
            )
    return {
        "table": str(ref.name),
        "env": session.env,
        "location": ref.uri,
        "registered": info is not None,
        "is_view": bool(info and info.is_view),
        "description": info.description if info else options.description,
        "owner": info.owner if info else options.owner,
        "tags": list(info.tags if info else options.tags),
        "partition_by": list(info.partition_by if info else options.partition_by)
        or facts.get("partition_by", []),
        "zorder_by": list(info.zorder_by if info else options.zorder_by),
        "retention": _retention(str(ref.name)) or (info.retention if info else None),
        "sla": dict(info.sla) if info and info.sla else options.sla,
        "schema_policy": info.schema_policy if info else options.schema_policy,
        "delta": {k: facts.get(k) for k in ("version", "rows", "files", "size_bytes", "updated")},
        "columns": columns,
        "schema_versions": versions,
    }


def _retention(name: str) -> dict[str, Any] | None:
    """The table's retention policy as its pipeline declares it (days, column, archive)."""
    from sluiceway.cli.context import state

    for pipeline in state.project().pipelines.values():
        meta = pipeline.tables.get(name)
        if meta is not None and meta.retention is not None:
            return meta.retention.model_dump(mode="json")
    return None


def _delta_columns(ref: TableRef, options: Any) -> list[dict[str, Any]]:
    """Columns from the Delta schema, for a table the catalog does not know."""
    import pyarrow as pa

    from sluiceway.lake.errors import TableNotFoundError

    try:
        schema = pa.schema(ref.open().schema().to_arrow())
    except TableNotFoundError:
        return []
    docs = options.columns
    return [
        {
            "name": f.name,
            "type": str(f.type),
            "nullable": f.nullable,
            "description": docs[f.name].description if f.name in docs else None,
            "tags": list(docs[f.name].tags) if f.name in docs else [],
        }
        for f in schema
    ]


def _print_description(data: dict[str, Any]) -> None:
    from rich.markup import escape

    from sluiceway.cli.render import console, print_rows

    delta = data["delta"]
    console.print(f"[bold]{escape(data['table'])}[/] ({escape(data['env'])})", markup=True)
    facts = {
        "description": data["description"],
        "owner": data["owner"],
        "tags": ", ".join(data["tags"]),
        "location": data["location"],
        "partition by": ", ".join(data["partition_by"]),
        "z-order by": ", ".join(data["zorder_by"]),
        "retention": data["retention"],
        "SLA": data["sla"],
        "schema policy": data["schema_policy"],
        "version": delta["version"],
        "rows": delta["rows"],
        "files": delta["files"],
        "size": _size(delta["size_bytes"]),
        "updated": delta["updated"],
        "registered": "yes" if data["registered"] else "no (found in the lake only)",
    }
    for key, value in facts.items():
        if value not in (None, "", {}):
            console.print(f"  {key:<14} {escape(str(value))}", markup=False, soft_wrap=True)
    columns = [{**c, "tags": ", ".join(c["tags"])} for c in data["columns"]]
    print_rows(columns, ("name", "type", "nullable", "description", "tags"), title="columns")
    if data["schema_versions"]:
        print_rows(data["schema_versions"], SCHEMA_COLUMNS, title="schema versions")


def _minute(value: Any) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else None


def _size(size: int | None) -> str | None:
    if size is None:
        return None
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
