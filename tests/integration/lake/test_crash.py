"""A writer killed with SIGKILL at random moments, restarted until done: exactly-once holds,
and after every kill the table reads and holds exactly the batches committed so far."""

from __future__ import annotations

import random
import signal
import time
from typing import Any

import pyarrow.compute as pc
import pytest

from integration.lake.conftest import start_writer
from sluiceway.lake.service import Lake

pytestmark = pytest.mark.slow

TABLE, APP_ID = "raw.events", "crash/writer"
BATCHES, ROWS, KILLS = 50, 1_000, 5


def readable_after_kill(storage: Any) -> None:
    """Right after a kill the table reads, and holds exactly the batches it committed."""
    table = Lake(storage).table(TABLE)
    if not table.exists():
        return  # killed before the first commit
    committed = table.delta().transaction_version(APP_ID) or 0
    assert table.count() == committed * ROWS
    batches = table.read(columns=["batch"]).column("batch")
    assert set(batches.to_pylist()) == set(range(1, committed + 1))


def test_a_killed_writer_resumes_without_losing_or_duplicating_rows(
    lake_storage: Any, writer_env: dict[str, str]
) -> None:
    rng = random.Random(20261122)  # reproducible chaos
    started, kills, resumed_at = time.monotonic(), 0, []
    while True:
        writer = start_writer(writer_env, lake_storage.root, TABLE, APP_ID, BATCHES, ROWS)
        assert writer.stdout is not None
        if kills == KILLS:
            out, err = writer.communicate(timeout=120)
            assert writer.returncode == 0 and out.rstrip().endswith("done"), err
            resumed_at.append(int(out.split()[1]))
            break
        commits_before_kill = rng.randint(1, 6)
        seen = 0
        for line in writer.stdout:
            if line.startswith("resume"):
                resumed_at.append(int(line.split()[1]))
            elif line.startswith("committed"):
                seen += 1
            if seen >= commits_before_kill:
                time.sleep(rng.uniform(0.0, 0.08))  # land inside the next write, or its commit
                writer.send_signal(signal.SIGKILL)
                kills += 1
                break
        writer.wait(timeout=60)
        writer.stdout.close()
        assert writer.stderr is not None
        writer.stderr.close()
        if line.startswith("done"):
            break
        readable_after_kill(lake_storage)
    elapsed = time.monotonic() - started

    table = Lake(lake_storage).table(TABLE)
    data = table.read(columns=["batch", "row"])
    assert data.num_rows == BATCHES * ROWS
    per_batch = data.group_by("batch").aggregate([("row", "count_distinct"), ("row", "count")])
    assert sorted(per_batch.column("batch").to_pylist()) == list(range(1, BATCHES + 1))
    assert set(per_batch.column("row_count_distinct").to_pylist()) == {ROWS}
    assert set(per_batch.column("row_count").to_pylist()) == {ROWS}
    assert table.delta().transaction_version(APP_ID) == BATCHES
    assert table.version() == BATCHES - 1  # one commit per batch: no empty or repeated commit
    assert pc.min(data.column("batch")).as_py() == 1
    assert kills == KILLS and resumed_at[0] == 1 and resumed_at == sorted(resumed_at)
    print(f"crash test: {kills} kills, resumed at {resumed_at}, {elapsed:.1f}s")
