"""``sluiceway system-tables``: the ``_system`` tables, their size and freshness; ``--export``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluiceway.errors import SluicewayError

if TYPE_CHECKING:
    from sluiceway.observe.system_tables import ExportReport, TableStatus

COLUMNS = ("table", "kind", "rows", "version", "last_export", "pending")
EXPORT_COLUMNS = ("table", "rows", "commits", "version", "note")


class ExportFailedError(SluicewayError):
    """Some system tables could not be exported (the others were)."""


def register(app: typer.Typer) -> None:
    """Add the ``system-tables`` command to ``app``."""
    app.command("system-tables")(system_tables)


def system_tables(
    export: Annotated[
        bool,
        typer.Option("--export", help="Run an export pass first: bring every table up to date."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """List the _system tables (the metadata store as Delta tables): rows, last export, backlog.

    The daemon exports them every daemon.system_tables_interval, and `sluiceway query`
    exports the ones it reads before running; --export runs a pass now.
    """
    from sluiceway.cli.context import state
    from sluiceway.observe.system_tables import export_system_tables, system_table_status

    project, store = state.project(), state.store()
    report = export_system_tables(project, store) if export else None
    statuses = system_table_status(project, store)
    if as_json:
        from sluiceway.cli.render import print_json

        document: dict[str, Any] = {"tables": [_status_row(s) for s in statuses]}
        if report is not None:
            document["export"] = _report_json(report)
        print_json(document)
    else:
        _print(report, statuses)
    if report is not None and report.errors:
        first = report.errors[0]
        raise ExportFailedError(
            f"{len(report.errors)} system table(s) could not be exported; "
            f"{first.table}: {first.error}",
            hint="the other tables were exported; fix the cause and run --export again",
        )


def _print(report: ExportReport | None, statuses: list[TableStatus]) -> None:
    from sluiceway.cli.render import console, print_rows

    if report is not None:
        rows = [
            {
                "table": t.table,
                "rows": t.rows,
                "commits": t.commits,
                "version": t.version,
                "note": t.error or ("another exporter committed first" if t.raced else ""),
            }
            for t in report.tables
        ]
        print_rows(rows, EXPORT_COLUMNS, title=f"export {report.export_id}")
        console.print(f"{report.rows} rows exported in {report.duration_s:.2f} s")
    print_rows([_status_row(s) for s in statuses], COLUMNS)


def _status_row(status: TableStatus) -> dict[str, Any]:
    return {
        "table": status.table.qualified_name,
        "kind": status.table.kind,
        "rows": status.rows,
        "version": status.version,
        "last_export": status.last_export.isoformat(timespec="seconds")
        if status.last_export
        else None,
        "pending": status.pending,
    }


def _report_json(report: ExportReport) -> dict[str, Any]:
    return {
        "export_id": report.export_id,
        "started_at": report.started_at.isoformat(),
        "duration_s": round(report.duration_s, 3),
        "rows": report.rows,
        "tables": [
            {
                "table": t.table,
                "rows": t.rows,
                "commits": t.commits,
                "version": t.version,
                "raced": t.raced,
                "error": t.error,
            }
            for t in report.tables
        ],
    }
