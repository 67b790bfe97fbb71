"""Incremental SQL steps by column: only rows above the committed watermark are read, and
the watermark is part of the same commit as the rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

PIPELINE = """
name: silver
steps:
  - name: events
    type: sql
    query: SELECT id, updated_at FROM raw.events
    table: silver.events
    materialization: append
    incremental: {by: updated_at}
"""


def _events(ids: list[int], hours: list[int]) -> pa.Table:
    times = [datetime(2026, 5, 1, h, tzinfo=UTC) for h in hours]
    return pa.table(
        {"id": pa.array(ids, pa.int64()), "updated_at": pa.array(times, pa.timestamp("us", "UTC"))}
    )


def test_second_run_reads_only_rows_above_the_watermark(workspace) -> None:
    workspace.write(
        "pipelines/raw.yaml",
        "name: raw\nsteps:\n  - {name: e, type: sql, query: SELECT 1 AS id, table: raw.events}\n",
    )
    workspace.write("pipelines/silver.yaml", PIPELINE)
    workspace.seed("raw.events", _events([1, 2], [1, 2]), batch=1)
    assert workspace.run("silver").status == "succeeded"
    # Two new rows, one of them "late": stamped before the watermark of 02:00.
    workspace.seed("raw.events", _events([3, 4], [3, 0]), batch=2)
    second = workspace.run("silver")
    assert second.status == "succeeded", second.steps
    table = workspace.lake().table("silver.events")
    assert sorted(table.read().column("id").to_pylist()) == [1, 2, 3]
    history = table.delta().history(2)
    watermarks = [h.get("sluiceway.watermark") for h in history]
    assert '"2026-05-01T03:00:00+00:00"' in str(watermarks[0])
    assert '"2026-05-01T02:00:00+00:00"' in str(watermarks[1])
    # Nothing new: the run commits an empty batch and keeps the watermark.
    third = workspace.run("silver")
    assert third.status == "succeeded"
    assert table.count() == 3


BY_VERSION = """
name: silver
steps:
  - name: events
    type: sql
    query: SELECT id, day FROM raw.events
    table: silver.events
    materialization: append
    incremental: {by: version}
"""


def test_by_version_reads_only_files_committed_since_the_last_run(workspace) -> None:
    from sluiceway.lake.registration import TableOptions

    workspace.write(
        "pipelines/raw.yaml",
        "name: raw\ntables:\n  raw.events: {partition_by: [day]}\n"
        "steps:\n  - {name: e, type: sql, query: SELECT 1 AS id, table: raw.events}\n",
    )
    workspace.write("pipelines/silver.yaml", BY_VERSION)

    def seed(ids: list[int], day: str, batch: int) -> None:
        lake = workspace.lake()
        lake.tables["raw.events"] = TableOptions(partition_by=("day",))
        from sluiceway.lake.commit import WriteContext

        data = pa.table({"id": pa.array(ids, pa.int64()), "day": [day] * len(ids)})
        lake.write("raw.events", data, "append", WriteContext("seed", "seed/e", batch))

    seed([1, 2], "2026-05-01", 1)
    assert workspace.run("silver").status == "succeeded"
    seed([3], "2026-05-02", 2)
    seed([4], "2026-05-01", 3)
    second = workspace.run("silver")
    assert second.status == "succeeded", second.steps
    table = workspace.lake().table("silver.events")
    data = table.read()
    assert sorted(
        zip(data.column("id").to_pylist(), data.column("day").to_pylist(), strict=True)
    ) == [
        (1, "2026-05-01"),
        (2, "2026-05-01"),
        (3, "2026-05-02"),
        (4, "2026-05-01"),
    ]
    assert workspace.run("silver").status == "succeeded"
    assert table.count() == 4  # nothing new: nothing read twice


def test_by_version_refuses_when_upstream_rows_were_rewritten(workspace) -> None:
    from sluiceway.lake.commit import WriteContext

    workspace.write(
        "pipelines/raw.yaml",
        "name: raw\nsteps:\n  - {name: e, type: sql, query: SELECT 1 AS id, table: raw.events}\n",
    )
    workspace.write("pipelines/silver.yaml", BY_VERSION.replace("id, day", "id"))
    lake = workspace.lake()
    lake.write("raw.events", pa.table({"id": [1]}), "append", WriteContext("s", "seed/e", 1))
    assert workspace.run("silver").status == "succeeded"
    lake.write("raw.events", pa.table({"id": [9]}), "overwrite", WriteContext("s", "seed/e", 2))
    report = workspace.run("silver")
    assert report.status == "failed"
    assert "raw.events version 1 (WRITE) removed or rewrote rows" in (report.steps[0].error or "")


def test_history_shows_each_commits_watermark(workspace, monkeypatch) -> None:
    import json

    from typer.testing import CliRunner

    from sluiceway.cli.context import state
    from sluiceway.cli.main import app

    workspace.write(
        "pipelines/raw.yaml",
        "name: raw\nsteps:\n  - {name: e, type: sql, query: SELECT 1 AS id, table: raw.events}\n",
    )
    workspace.write("pipelines/silver.yaml", PIPELINE)
    workspace.seed("raw.events", _events([1, 2], [1, 2]), batch=1)
    assert workspace.run("silver").status == "succeeded"
    workspace.seed("raw.events", _events([3], [3]), batch=2)
    assert workspace.run("silver").status == "succeeded"

    for name in ("project_dir", "env", "_project"):
        monkeypatch.setattr(state, name, getattr(state, name))
    monkeypatch.setattr(state, "_store", workspace.store)
    runner = CliRunner()
    project = ["--project", str(workspace.root)]
    listed = runner.invoke(app, [*project, "history", "silver.events", "--json"])
    assert listed.exit_code == 0, listed.output
    marks = [entry["watermark"] for entry in json.loads(listed.output)]
    assert marks == [
        {"column": "updated_at", "type": "timestamp", "value": "2026-05-01T03:00:00+00:00"},
        {"column": "updated_at", "type": "timestamp", "value": "2026-05-01T02:00:00+00:00"},
    ]
    from sluiceway.cli import render

    monkeypatch.setattr(render.console, "_width", 300)  # one line per version
    shown = runner.invoke(app, [*project, "history", "silver.events"])
    assert shown.exit_code == 0, shown.output
    assert "updated_at=2026-05-01T03:00:00+00:00" in shown.output
    assert "updated_at=2026-05-01T02:00:00+00:00" in shown.output


def test_history_shows_the_input_versions_of_an_incremental_step_by_version(
    workspace, monkeypatch
) -> None:
    from sluiceway.lake.history import history

    workspace.write(
        "pipelines/raw.yaml",
        "name: raw\nsteps:\n  - {name: e, type: sql, query: SELECT 1 AS id, table: raw.events}\n",
    )
    workspace.write("pipelines/silver.yaml", BY_VERSION.replace("id, day", "id"))
    workspace.seed("raw.events", pa.table({"id": pa.array([1], pa.int64())}), batch=1)
    assert workspace.run("silver").status == "succeeded"
    entry = history(workspace.lake().table("silver.events").delta(), 1)[0]
    assert entry.watermark_text == "raw.events@0"
