"""Steps of one run that read the same table at the same version each read what they asked
for: an incremental slice does not leak into a full read, nor a full read into a slice."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from sluiceway.lake.commit import WriteContext

PIPELINE = """
name: silver
steps:
  - name: before
    type: sql
    query: SELECT count(*) AS n FROM raw.events
    table: gold.before
    materialization: overwrite
  - name: by_column
    type: sql
    query: SELECT id, updated_at FROM raw.events
    table: silver.by_column
    materialization: append
    incremental: {by: updated_at}
    depends_on: [before]
  - name: by_version
    type: sql
    query: SELECT id, updated_at FROM raw.events
    table: silver.by_version
    materialization: append
    incremental: {by: version}
    depends_on: [by_column]
  - name: after
    type: sql
    query: SELECT count(*) AS n FROM raw.events
    table: gold.after
    materialization: overwrite
    depends_on: [by_version]
"""


def _events(ids: list[int]) -> pa.Table:
    times = [datetime(2026, 5, 1, i, tzinfo=UTC) for i in ids]
    return pa.table(
        {"id": pa.array(ids, pa.int64()), "updated_at": pa.array(times, pa.timestamp("us", "UTC"))}
    )


def test_full_and_incremental_reads_of_one_table_in_one_run(workspace) -> None:
    workspace.write(
        "pipelines/raw.yaml",
        "name: raw\nsteps:\n  - {name: e, type: sql, query: SELECT 1 AS id, table: raw.events}\n",
    )
    workspace.write("pipelines/silver.yaml", PIPELINE)
    lake = workspace.lake()
    lake.write("raw.events", _events([1, 2, 3]), "append", WriteContext("s", "seed/e", 1))
    first = workspace.run("silver")
    assert first.status == "succeeded", first.steps
    lake.write("raw.events", _events([4, 5, 6]), "append", WriteContext("s", "seed/e", 2))
    second = workspace.run("silver")
    assert second.status == "succeeded", second.steps

    lake = workspace.lake()
    # The full reads before and after the incremental steps see every row.
    assert lake.table("gold.before").read().column("n").to_pylist() == [6]
    assert lake.table("gold.after").read().column("n").to_pylist() == [6]
    # Each incremental step read only the new rows: every id once.
    for name in ("silver.by_column", "silver.by_version"):
        ids = sorted(lake.table(name).read().column("id").to_pylist())
        assert ids == [1, 2, 3, 4, 5, 6], name
