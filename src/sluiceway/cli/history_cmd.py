"""``sluiceway history``, ``show`` and ``restore``: a table's versions, its rows, undo."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

HISTORY_COLUMNS = (
    "version",
    "time",
    "operation",
    "run",
    "rows +",
    "rows ~",
    "rows -",
    "files +",
    "files -",
    "batch",
    "watermark",
)

TableArg = Annotated[str, typer.Argument(help="Table as layer.name, e.g. silver.orders.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    """Add the ``history``, ``show`` and ``restore`` commands to ``app``."""
    app.command("history")(history)
    app.command("show")(show)
    app.command("restore")(restore)


def history(
    table: TableArg,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most this many versions.", min=1)
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List a table's versions, newest first: operation, run, rows, files and watermark."""
    from sluiceway.cli.render import print_json, print_rows
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.lake import history as lake_history

    ref = lake_session().ref(table)
    entries = lake_history.history(ref.open(), limit)
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    rows = [
        {
            "version": e.version,
            "time": e.time.strftime("%Y-%m-%d %H:%M:%S"),
            "operation": e.operation,
            "run": _short(e.run_id),
            "rows +": e.rows_added,
            "rows ~": e.rows_updated,
            "rows -": e.rows_removed,
            "files +": e.files_added,
            "files -": e.files_removed,
            "batch": f"{e.app_id}#{e.batch}" if e.app_id else None,
            "watermark": e.watermark_text,
        }
        for e in entries
    ]
    print_rows(rows, HISTORY_COLUMNS, title=f"{ref.name}: {len(rows)} versions (times in UTC)")


def show(
    table: TableArg,
    version: Annotated[
        int | None, typer.Option("--version", "-v", help="Read this version.", min=0)
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Read the table as it was at this time (ISO 8601, UTC)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="At most this many rows.", min=1)
    ] = 20,
    columns: Annotated[
        str | None, typer.Option("--columns", "-c", help="Only these columns, comma-separated.")
    ] = None,
    hide_lineage: Annotated[
        bool | None,
        typer.Option(
            "--hide-lineage/--show-lineage",
            help="Leave out (or show) the _sw_* lineage columns; default: the project's "
            "table_defaults.lineage_columns.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show rows of a table (or view), at its latest version or at --version or --as-of."""
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.errors import UsageError
    from sluiceway.lake.history import open_version, read_rows
    from sluiceway.lake.lineage import is_lineage

    if version is not None and as_of is not None:
        raise UsageError("give --version or --as-of, not both")
    session = lake_session()
    ref = session.ref(table)
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    hide = session.lake.hides_lineage if hide_lineage is None else hide_lineage
    label: str | int
    if session.lake.table(ref.name).is_view:
        if version is not None:
            raise UsageError(f"{ref.name} is a view: it has no versions", hint="use --as-of")
        data = _view_rows(session, str(ref.name), wanted, limit, as_of)
        label = "view"
    else:
        delta = open_version(ref, version, parse_instant(as_of) if as_of else None)
        data = read_rows(ref, delta, limit=limit, columns=wanted)
        label = int(delta.version())
    shown = set(wanted or [])
    names = [n for n in data.column_names if not (hide and is_lineage(n) and n not in shown)]
    rows = data.select(names).to_pylist()
    what = f"{ref.name} ({label})" if label == "view" else f"{ref.name} version {label}"
    if as_json:
        version_shown = None if label == "view" else label
        print_json({"table": str(ref.name), "version": version_shown, "rows": rows})
        return
    if not rows:
        console.print(f"{what} has no rows")
        return
    print_rows([_display(r) for r in rows], names, title=f"{what}: first {len(rows)} rows")


def _view_rows(
    session: Any, name: str, columns: list[str] | None, limit: int, as_of: str | None
) -> Any:
    """The first rows of a view, computed by reading its tables (at ``as_of`` if given)."""
    from sqlglot import exp

    from sluiceway.cli.context import state
    from sluiceway.engines.query import run_query

    layer, _, table = name.partition(".")
    select = exp.select(*(exp.column(c, quoted=True) for c in columns) if columns else "*")
    query = select.from_(exp.table_(table, db=layer, quoted=True))
    project = state.project()
    return run_query(
        session.lake,
        query.sql("duckdb"),
        session.known(),
        as_of=parse_instant(as_of) if as_of else None,
        limit=limit,
        settings=project.settings.engines,
    )


def restore(
    table: TableArg,
    version: Annotated[int, typer.Option("--version", "-v", help="Version to go back to.", min=0)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Restore a table to an earlier version; the restore is itself a new version."""
    from sluiceway.cli.render import console
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.lake import history as lake_history
    from sluiceway.lake.maintenance import store_sink

    session = lake_session()
    ref = session.ref(table)
    current = ref.open().version()
    if not yes:
        question = f"Restore {ref.name} (now at version {current}) to version {version}?"
        if not typer.confirm(question, default=False):
            console.print("nothing restored")
            raise typer.Exit(1)
    result = lake_history.restore(ref, version, emit=store_sink(session.store))
    console.print(
        f"[green]Restored[/] {result.table} to version {result.restored_version} "
        f"(as new version {result.version})",
        markup=True,
    )


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or time; without a zone it is UTC."""
    from datetime import UTC

    from sluiceway.errors import UsageError

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is not a time", hint="write ISO 8601, e.g. 2024-05-01T12:00:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _short(run_id: str | None) -> str | None:
    return run_id[:8] if run_id and len(run_id) > 12 else run_id


def _display(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat(sep=" ") if isinstance(v, datetime) else v for k, v in row.items()}
