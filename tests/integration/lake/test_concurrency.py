"""Processes appending to one table at once: every commit lands, every version reads."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from integration.lake.conftest import start_writer
from sluiceway.lake.service import Lake

pytestmark = pytest.mark.slow

TABLE = "raw.shared"
WRITERS, BATCHES, ROWS = 4, 20, 100
CREATOR = Path(__file__).with_name("lake_creator.py")


def test_concurrent_appends_lose_no_commit(lake_storage: Any, writer_env: dict[str, str]) -> None:
    started = time.monotonic()
    writers = [
        start_writer(writer_env, lake_storage.root, TABLE, f"conc/p{i}", BATCHES, ROWS)
        for i in range(WRITERS)
    ]
    for writer in writers:
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0 and out.rstrip().endswith("done"), err
        commits = [line.split() for line in out.splitlines() if line.startswith("committed")]
        assert len(commits) == BATCHES and {skipped for *_, skipped in commits} == {"0"}
    elapsed = time.monotonic() - started

    table = Lake(lake_storage).table(TABLE)
    commits = WRITERS * BATCHES
    assert table.version() == commits - 1  # the table was created by one of the writers
    data = table.read(columns=["writer", "batch"])
    assert data.num_rows == commits * ROWS
    per_batch = data.group_by(["writer", "batch"]).aggregate([("batch", "count")])
    assert per_batch.num_rows == commits
    assert set(per_batch.column("batch_count").to_pylist()) == {ROWS}
    delta = table.delta()
    for i in range(WRITERS):
        assert delta.transaction_version(f"conc/p{i}") == BATCHES

    # Every version loads and holds exactly the rows of the commits up to it (the log's
    # per-file counts); every 8th version and the last are also scanned through their Parquet
    # footers, which reads every data file (all of them on the last version).
    filesystem = lake_storage.filesystem(table.uri)
    snapshot = table.delta(version=0)
    checked = time.monotonic()
    for version in range(commits):
        snapshot.load_as_version(version)
        logged = pa.table(snapshot.get_add_actions(flatten=True)).column("num_records")
        assert sum(logged.to_pylist()) == (version + 1) * ROWS
        if version % 8 == 0 or version == commits - 1:
            counted = snapshot.to_pyarrow_dataset(filesystem=filesystem).count_rows()
            assert counted == (version + 1) * ROWS, version
    checked = time.monotonic() - checked
    print(f"concurrency: {commits} commits by {WRITERS} writers in {elapsed:.1f}s, ", end="")
    print(f"every version read in {checked:.1f}s")


def test_concurrent_first_appends_create_the_table_once(
    lake_storage: Any, writer_env: dict[str, str]
) -> None:
    """Writers that all find no table create it at the same instant: one creates, all land.

    delta-rs rebases a losing creation as a second creation (a new table id) and then fails
    appends that loaded the first, so the lake gives creations no delta-rs retry, spools their
    input and retries them itself as appends.
    """
    tables, interval = 8, 0.4
    start = time.time() + 6  # the processes import and connect first
    arguments = [lake_storage.root, "race", str(tables), str(start), str(interval)]
    creators = [
        subprocess.Popen(
            # Half the writers hand over a table, half a stream that cannot be read twice.
            [sys.executable, str(CREATOR), *arguments, f"create/p{i}", ("table", "stream")[i % 2]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=writer_env,
        )
        for i in range(WRITERS)
    ]
    for creator in creators:
        out, err = creator.communicate(timeout=120)
        assert creator.returncode == 0 and out.rstrip().endswith("done"), err

    lake = Lake(lake_storage)
    for k in range(tables):
        table = lake.table(f"raw.race{k}")
        assert table.version() == WRITERS - 1
        # Created once: no later commit re-creates it under another table id.
        assert table.delta(version=0).metadata().id == table.delta().metadata().id
        writers = table.read(columns=["writer"]).column("writer").to_pylist()
        assert sorted(set(writers)) == [f"create/p{i}" for i in range(WRITERS)]
        assert len(writers) == WRITERS * 10
