"""``sluiceway profile`` and ``sluiceway suggest``: what a table's data looks like, and the
checks that have always held on it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

COLUMNS = ["column", "type", "nulls", "null %", "distinct", "min", "max", "mean", "stddev",
           "length", "top values"]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the ``profile`` and ``suggest`` commands to ``app``."""
    app.command("profile")(profile)
    app.command("suggest")(suggest)


def profile(
    table: Annotated[str, typer.Argument(help="Table as layer.name.")],
    history: Annotated[
        bool, typer.Option("--history", help="One line per commit profiled, newest first.")
    ] = False,
    compute: Annotated[
        bool,
        typer.Option("--compute", help="Profile the table's current version now (all its rows)."),
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Commits to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the profile of a table's latest commit: per column nulls, distinct values,
    min/max, mean and stddev, string lengths and top values."""
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.errors import UsageError
    from sluiceway.meta.profiles import ProfileRepo

    session = lake_session()
    ref = session.ref(table)
    repo = ProfileRepo(session.store)
    if compute:
        found = _compute(session, str(ref.name))
        stored = [found] if found is not None else []
    else:
        stored = repo.history(session.env, str(ref.name), limit=limit if history else 1)
    if not stored:
        raise UsageError(
            f"{ref.name} has no profile yet",
            hint="profiles are taken at each commit a run makes; --compute profiles it now",
        )
    if as_json:
        print_json([_json(p) for p in stored] if history else _json(stored[0]))
        return
    if history:
        rows = [
            {
                "profiled": p.profiled_at.isoformat(timespec="seconds"),
                "version": p.delta_version,
                "rows": p.rows,
                "sampled": p.sampled_rows if p.sampled_rows < p.rows else "",
                "columns": len(p.columns),
                "with nulls": sum(1 for c in p.columns if c.get("nulls")),
            }
            for p in stored
        ]
        print_rows(rows, list(rows[0]), title=f"{ref.name}: profiles, newest first")
        return
    latest = stored[0]
    note = (
        f", statistics from {latest.sampled_rows:,} sampled rows"
        if latest.sampled_rows < latest.rows
        else ""
    )
    title = (
        f"{ref.name} version {latest.delta_version}: {latest.rows:,} rows{note}"
        if latest.delta_version is not None
        else f"{ref.name}: {latest.rows:,} rows{note}"
    )
    print_rows([_column_row(c) for c in latest.columns], COLUMNS, title=title)
    console.print(f"profiled {latest.profiled_at.isoformat(timespec='seconds')}")


def suggest(
    table: Annotated[str, typer.Argument(help="Table as layer.name.")],
    history: Annotated[
        int, typer.Option("--history", min=1, help="Profiles to learn from, newest first.")
    ] = 30,
    min_profiles: Annotated[
        int, typer.Option("--min-profiles", min=1, help="Fewest profiles to suggest from.")
    ] = 3,
    write: Annotated[
        bool,
        typer.Option(
            "--write", help="Add the checks, in shadow mode, to the pipeline file of the table."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Propose checks learned from a table's profile history (printed as YAML)."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json
    from sluiceway.cli.tables_cmd import lake_session
    from sluiceway.errors import UsageError
    from sluiceway.meta.profiles import ProfileRepo
    from sluiceway.quality.suggest import as_yaml
    from sluiceway.quality.suggest import suggest as learn

    session = lake_session()
    name = str(session.ref(table).name)
    stored = ProfileRepo(session.store).history(session.env, name, limit=history)
    if len(stored) < min_profiles:
        raise UsageError(
            f"{name} has {len(stored)} profile(s); {min_profiles} are needed to suggest checks",
            hint="each commit adds one; run its pipeline again, or pass --min-profiles",
        )
    project = state.project()
    declared = _declared(project, name)
    found = learn(
        [{"rows": p.rows, "sampled_rows": p.sampled_rows, "columns": p.columns} for p in stored],
        declared=declared,
        min_profiles=min_profiles,
    )
    if as_json:
        print_json([{"name": s.name, "check": s.check, "because": s.because} for s in found])
        return
    if not found:
        console.print(f"nothing to suggest for {name}: its checks cover what always held")
        return
    if write:
        from sluiceway.cli.suggest_write import add_checks

        path = add_checks(project, name, [s.check for s in found])
        console.print(f"added {len(found)} check(s) in shadow mode to {path} (tables: {name})")
        return
    console.print(as_yaml(name, found, profiles=len(stored)), end="", highlight=False, markup=False)


def _compute(session: Any, table: str) -> Any:
    """A profile of the table's current version, stored like a commit's."""
    import pyarrow as pa

    from sluiceway.lake.lineage import is_lineage
    from sluiceway.meta.profiles import ProfileRepo, StoredProfile
    from sluiceway.quality.profile import ParquetPart, profile_files

    handle = session.lake.table(table)
    delta = handle.delta()
    actions = pa.table(delta.get_add_actions(flatten=False)).to_pylist()
    parts = [ParquetPart(a["path"], dict(a.get("partition") or {})) for a in actions]
    schema = handle.schema()
    found = profile_files(
        parts,
        schema,
        table=table,
        filesystem=session.lake.storage.filesystem(handle.uri),
        skip=[n for n in schema.names if is_lineage(n)],
    )
    return ProfileRepo(session.store).record(
        StoredProfile(
            env=session.env,
            table=table,
            rows=found.rows,
            sampled_rows=found.sampled_rows,
            columns=[c.to_json() for c in found.columns],
            delta_version=int(delta.version()),
        )
    )


def _declared(project: Any, table: str) -> list[str]:
    """Names of the checks already declared for ``table`` (on it, or on its writing step)."""
    names: list[str] = []
    for pipeline in project.pipelines.values():
        meta = pipeline.tables.get(table)
        if meta is not None:
            names += [str(c.name) for c in meta.checks]
        for step in pipeline.steps:
            if getattr(step, "table", None) == table:
                names += [str(c.name) for c in step.checks]
    return names


def _json(stored: Any) -> dict[str, Any]:
    return {
        "table": stored.table,
        "version": stored.delta_version,
        "rows": stored.rows,
        "sampled_rows": stored.sampled_rows,
        "profiled_at": stored.profiled_at.isoformat(),
        "run_id": stored.run_id,
        "columns": stored.columns,
    }


def _column_row(column: Any) -> dict[str, Any]:
    def number(value: Any) -> str:
        if value is None:
            return ""
        return f"{value:,.4g}" if isinstance(value, float) else str(value)

    lengths = ""
    if column.get("min_length") is not None:
        lengths = f"{column['min_length']}–{column['max_length']}"
    top = column.get("top") or []
    return {
        "column": column["name"],
        "type": column["type"],
        "nulls": f"{column['nulls']:,}",
        "null %": f"{column['null_fraction']:.1%}",
        "distinct": number(column.get("distinct")),
        "min": number(column.get("min")),
        "max": number(column.get("max")),
        "mean": number(column.get("mean")),
        "stddev": number(column.get("stddev")),
        "length": lengths,
        "top values": ", ".join(f"{v} ({n:,})" for v, n in top[:5]),
    }
