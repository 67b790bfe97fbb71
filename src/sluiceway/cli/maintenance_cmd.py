"""``sluiceway optimize``, ``vacuum`` and ``retention``: keep tables fast and small.

Each works on one table or, without a name, on every table of the environment; each has
``--dry-run`` to show what it would change and ``--json`` for scripts. Each real change is
recorded as an event (``table.optimized``, ``table.vacuumed``, ``table.retention_applied``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sluiceway.cli.tables_cmd import LakeSession

TableOpt = Annotated[
    str | None, typer.Argument(help="Table as layer.name; all tables when omitted.")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    """Add the ``optimize``, ``vacuum`` and ``retention`` commands to ``app``."""
    app.command("optimize")(optimize)
    app.command("vacuum")(vacuum)
    app.command("retention")(retention)


def optimize(table: TableOpt = None, dry_run: DryRunOpt = False, as_json: JsonOpt = False) -> None:
    """Compact small files to the target file size, and z-order by the table's zorder_by."""
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.lake.maintenance import optimize as run_optimize
    from sluiceway.lake.maintenance import store_sink

    session = lake_session()
    sink = store_sink(session.store)
    target_size = session.lake.defaults.target_file_size
    rows = []
    for ref in session.refs(table):
        zorder = _zorder(session, str(ref.name))
        result = run_optimize(
            ref.open(),
            name=str(ref.name),
            zorder_by=zorder,
            target_size=target_size,
            dry_run=dry_run,
            emit=sink,
            writer_properties=session.lake.target(ref.name).writer_properties(),
        )
        rows.append(
            {
                "table": result.table,
                "files_removed": result.files_removed,
                "files_added": result.files_added,
                "zorder_by": list(result.zorder_by),
                "version": result.version,
                "dry_run": dry_run,
            }
        )
    _report(rows, as_json, "optimize", ("table", "files_removed", "files_added", "zorder_by"))


def vacuum(
    table: TableOpt = None,
    retention: Annotated[
        str | None,
        typer.Option(
            "--retention",
            help="Keep unreferenced files younger than this (e.g. 7d, 36h).",
            show_default="table_defaults.vacuum_retention, 7d",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a retention below 7 days (breaks time travel).")
    ] = False,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete data files no version within the retention needs; --dry-run lists them."""
    from datetime import timedelta

    from sluiceway.cli.render import err_console
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.errors import UsageError
    from sluiceway.lake.maintenance import store_sink
    from sluiceway.lake.maintenance import vacuum as run_vacuum
    from sluiceway.spec.durations import format_duration, parse_duration

    session = lake_session()
    keep = session.lake.defaults.vacuum_retention
    if retention is not None:
        try:
            keep = parse_duration(retention)
        except ValueError as exc:
            raise UsageError(str(exc), hint="write e.g. 7d, 36h or 30m") from None
    if force and keep < timedelta(days=7):
        err_console.print(
            f"[yellow]warning:[/] retention {format_duration(keep)} is below 7 days: versions "
            "older than it can no longer be read or restored",
            markup=True,
        )
    rows: list[dict[str, Any]] = []
    sink = store_sink(session.store)
    for ref in session.refs(table):
        result = run_vacuum(
            ref.open(), name=str(ref.name), retention=keep, force=force, dry_run=dry_run, emit=sink
        )
        rows.append(
            {
                "table": result.table,
                "files": result.count,
                "paths": result.files,
                "retention": format_duration(keep),
                "dry_run": dry_run,
            }
        )
    if dry_run and not as_json:
        listed = [{"table": r["table"], "file": p} for r in rows for p in r["paths"]]
        _report(listed, False, "vacuum would delete", ("table", "file"))
        return
    _report(rows, as_json, "vacuum", ("table", "files", "retention"))


def retention(table: TableOpt = None, dry_run: DryRunOpt = False, as_json: JsonOpt = False) -> None:
    """Delete rows older than each table's retention (archiving them first if configured)."""
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.errors import UsageError
    from sluiceway.lake.maintenance import RetentionPolicy, apply_retention, store_sink

    session = lake_session()
    policies = _policies()
    refs = session.refs(table)
    if table is not None and str(refs[0].name) not in policies:
        raise UsageError(
            f"table {refs[0].name} has no retention policy",
            hint="declare retention: {days: N, column: C} under tables: in its pipeline",
        )
    rows = []
    sink = store_sink(session.store)
    for ref in refs:
        policy = RetentionPolicy.parse(policies.get(str(ref.name)))
        if policy is None:
            continue
        result = apply_retention(
            ref,
            policy,
            dry_run=dry_run,
            emit=sink,
            writer_properties=session.lake.target(ref.name).writer_properties(),
        )
        rows.append(
            {
                "table": result.table,
                "column": result.column,
                "cutoff": result.cutoff.isoformat(),
                "rows_deleted": result.rows_deleted,
                "rows_archived": result.rows_archived,
                "partitions": result.partitions,
                "archive": result.archive_uri,
                "already_applied": result.already_applied,
                "dry_run": dry_run,
            }
        )
    columns = ("table", "column", "cutoff", "rows_deleted", "rows_archived", "partitions")
    _report(rows, as_json, "retention", columns)


def _policies() -> dict[str, Any]:
    """Retention policies declared in the project's pipelines, by table name."""
    from sluiceway.cli.context import state

    found: dict[str, Any] = {}
    for pipeline in state.project().pipelines.values():
        for name, meta in pipeline.tables.items():
            if meta.retention is not None:
                found[name] = meta.retention
    return found


def _zorder(session: LakeSession, name: str) -> tuple[str, ...]:
    declared = session.lake.options(name).zorder_by
    if declared:
        return tuple(declared)
    info = session.catalog().get(name)
    return tuple(info.zorder_by) if info else ()


def _report(rows: list[dict[str, Any]], as_json: bool, what: str, columns: tuple[str, ...]) -> None:
    from sluiceway.cli.render import console, print_json, print_rows

    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"{what}: nothing to do")
        return
    shown = [{k: ", ".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows]
    dry = any(r.get("dry_run") for r in rows)
    print_rows(shown, columns, title=f"{what} (dry run)" if dry else what)
