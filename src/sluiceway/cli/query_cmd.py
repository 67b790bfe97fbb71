"""``sluiceway query``: a read-only SELECT over the lake's tables, shown or saved."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

FORMATS = ("table", "csv", "json", "parquet")


def register(app: typer.Typer) -> None:
    """Add the ``query`` command to ``app``."""
    app.command("query")(query)


def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="One SELECT; tables as layer.name, pinned with layer.name@v3 or "
            "layer.name@'2026-05-01T00:00:00Z'."
        ),
    ],
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", help="Read every unpinned table as it was at this instant (UTC)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="At most this many rows.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table (default), csv, json or parquet.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Run a read-only query on DuckDB over the catalog's tables."""
    from sluiceway.cli.context import state
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.engines.query import run_query

    if output_format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    if output_format == "parquet" and output is None:
        raise typer.BadParameter("--format parquet needs --output FILE")
    session = lake_session()
    project = state.project()
    known = _known(session.lake, project)
    _refresh_system_tables(project, session.store, sql, known)
    result = run_query(
        session.lake,
        sql,
        known,
        as_of=as_of,
        limit=limit if output is not None or output_format != "table" else (limit or 1000),
        settings=project.settings.engines,
        hide_lineage=session.lake.hides_lineage,
    )
    _emit(result, output_format, output)


def _known(lake: Any, project: Any) -> set[str]:
    from sluiceway.spec.references import SYSTEM_TABLES

    known = set(project.tables_written()) | set(SYSTEM_TABLES)
    if lake.store is not None:
        from sluiceway.meta.catalog import CatalogRepo

        known.update(t.qualified_name for t in CatalogRepo(lake.store).tables(project.env))
    return known


def _refresh_system_tables(project: Any, store: Any, sql: str, known: set[str]) -> None:
    """Export the ``_system`` tables the query reads first, so it sees the store as it is now.

    A failed export does not stop the query: it reads what the last export left, after a
    warning that says so.
    """
    from sluiceway.spec.references import SYSTEM_TABLES
    from sluiceway.sql.guard import guard_query

    wanted = [t for t in guard_query(sql, known).tables if t in SYSTEM_TABLES]
    if not wanted or store is None:
        return
    from rich.markup import escape

    from sluiceway.cli.render import err_console
    from sluiceway.observe.system_tables import refresh_for_query

    for failed in refresh_for_query(project, store, wanted).errors:
        message = f"{failed.table} may be out of date: its export failed: {failed.error}"
        err_console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def _emit(result: Any, output_format: str, output: Path | None) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from sluiceway.cli.render import console, print_json, print_rows

    if output_format == "parquet":
        assert output is not None
        pq.write_table(result, output, compression="zstd")
    elif output_format == "csv":
        if output is not None:
            pacsv.write_csv(result, output)
        else:
            import sys

            import pyarrow as pa

            buffer = pa.BufferOutputStream()
            pacsv.write_csv(result, buffer)
            sys.stdout.write(buffer.getvalue().to_pybytes().decode("utf-8"))
    elif output_format == "json":
        if output is not None:
            from sluiceway.cli.render import to_json

            output.write_text(to_json(result.to_pylist()) + "\n", encoding="utf-8")
        else:
            print_json(result.to_pylist())
    else:
        if output is not None:
            raise typer.BadParameter("--output needs --format csv, json or parquet")
        print_rows(result.to_pylist(), result.column_names)
        console.print(f"{result.num_rows} rows")
        return
    if output is not None:
        console.print(f"wrote {result.num_rows} rows to {output}")
