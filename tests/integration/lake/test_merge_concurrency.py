"""Concurrent merges: 4 processes × 20 merges on disjoint keys into one table, on each store;
and 4 processes inserting the same new keys at the same time.

Each merge that loses the commit race must be reloaded and re-run (delta-rs does not retry
a MERGE, and a copy-on-write commit is rejected too), so at the end every process's rows
hold the values of its last batch, every process's last batch is in the log, every version
of the table is readable — and a key inserted by several processes at once is there once.

The workers are this file run as a script in fresh interpreters (delta-rs panics in forked
children, and spawn would need this module importable by name).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

PROCESSES = 4
MERGES = 20
KEYS = 50
SHARED_MERGES = 5
SHARED_KEYS = list(range(7000, 7010))

pytestmark = pytest.mark.slow


def _storage(spec: dict[str, Any]) -> Any:
    from sluiceway.lake.storage import LakeStorage, S3Access

    s3 = spec.get("s3")
    return LakeStorage(root=spec["root"], s3=S3Access(**s3) if s3 else None)


def _target(storage: Any) -> Any:
    from sluiceway.lake.materializations.base import Target
    from sluiceway.lake.names import TableName

    name = TableName.parse("silver.contended")
    # Frequent checkpoints keep each merge's log replay short on the (slow) test S3 server.
    options = {"delta.checkpointInterval": "10"}
    return Target(name, storage.table_uri("prod", name), storage, configuration=options)


def _merge(target: Any, worker: int, batch: int, workers: tuple[int, ...] = ()) -> Any:
    import pyarrow as pa

    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.lineage import with_lineage
    from sluiceway.lake.materializations.merge import MergeMaterializer
    from sluiceway.spec.materializations import Merge

    owners = [w for w in workers or (worker,) for _ in range(KEYS)]
    ids = [w * 1000 + k for w in workers or (worker,) for k in range(KEYS)]
    rows = pa.table({"id": ids, "worker": owners, "value": [batch] * len(ids)})
    ctx = WriteContext(run_id=f"w{worker}-b{batch}", app_id=f"conc/w{worker}", batch=batch)
    spec = Merge(type="merge", keys=["id"])
    return MergeMaterializer().write(target, with_lineage(rows.to_reader(), ctx), ctx, spec)


def _merge_shared(target: Any, worker: int, batch: int) -> Any:
    """Upsert the keys every worker writes (new to the table at first): last writer wins."""
    import pyarrow as pa

    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.lineage import with_lineage
    from sluiceway.lake.materializations.merge import MergeMaterializer
    from sluiceway.spec.materializations import Merge

    count = len(SHARED_KEYS)
    rows = pa.table({"id": SHARED_KEYS, "worker": [worker] * count, "value": [batch] * count})
    ctx = WriteContext(run_id=f"s{worker}-b{batch}", app_id=f"shared/w{worker}", batch=batch)
    spec = Merge(type="merge", keys=["id"])
    return MergeMaterializer().write(target, with_lineage(rows.to_reader(), ctx), ctx, spec)


def worker_main(spec_json: str, worker: int, mode: str = "disjoint") -> None:
    """Run the merges of ``worker`` in ``mode``; print how many conflicts were retried."""
    from sluiceway.lake import commit

    conflicts = 0
    is_conflict = commit.is_conflict

    def counting(exc: BaseException) -> bool:
        nonlocal conflicts
        found = is_conflict(exc)
        conflicts += found
        return found

    commit.is_conflict = counting  # type: ignore[assignment]
    target = _target(_storage(json.loads(spec_json)))
    shared = mode == "shared"
    for batch in range(1, (SHARED_MERGES if shared else MERGES) + 1):
        result = _merge_shared(target, worker, batch) if shared else _merge(target, worker, batch)
        assert not result.skipped, result
    print(json.dumps({"conflicts": conflicts}))


def _race(lake_storage: Any, mode: str) -> tuple[float, int]:
    """Run ``PROCESSES`` workers in ``mode`` at once; return the time taken and conflicts."""
    from dataclasses import asdict

    spec = {"root": lake_storage.root, "s3": asdict(lake_storage.s3) if lake_storage.s3 else None}
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, json.dumps(spec), str(worker), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[3],
        )
        for worker in range(PROCESSES)
    ]
    outputs = [proc.communicate(timeout=220) for proc in procs]
    elapsed = time.monotonic() - started
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    conflicts = sum(json.loads(out.splitlines()[-1])["conflicts"] for out, _ in outputs)
    print(f"{PROCESSES} {mode} workers in {elapsed:.1f} s, {conflicts} conflicts retried")
    return elapsed, conflicts


@pytest.mark.timeout(240)
def test_concurrent_merges_lose_nothing(lake_storage: Any) -> None:
    from deltalake import DeltaTable

    target = _target(lake_storage)
    # The table exists before the race starts, with every worker's keys in one file: the
    # first merges all rewrite that file, so some of them must conflict and be re-run.
    _merge(target, 99, 1, workers=(*range(PROCESSES), 99))
    started = time.monotonic()
    elapsed, _ = _race(lake_storage, "disjoint")

    table = target.open()
    assert table is not None
    filesystem = lake_storage.filesystem(target.uri)
    rows = table.to_pyarrow_dataset(filesystem=filesystem).to_table().to_pylist()
    by_worker: dict[int, dict[int, int]] = {}
    for row in rows:
        by_worker.setdefault(row["worker"], {})[row["id"]] = row["value"]
    for worker in range(PROCESSES):
        assert by_worker[worker] == {worker * 1000 + k: MERGES for k in range(KEYS)}
        assert table.transaction_version(f"conc/w{worker}") == MERGES
    assert len(rows) == PROCESSES * KEYS + KEYS
    assert by_worker[99] == {99 * 1000 + k: 1 for k in range(KEYS)}

    options = lake_storage.storage_options()
    latest = table.version()
    # the creation, then at least one commit per merge (an unchanged merge commits too)
    assert latest >= PROCESSES * MERGES
    snapshot = DeltaTable(target.uri, version=0, storage_options=options)
    for version in range(latest + 1):
        snapshot.load_as_version(version)  # forward from the previous version: cheap
        snapshot.to_pyarrow_dataset(filesystem=filesystem).count_rows()
    assert elapsed < 200, f"{PROCESSES}×{MERGES} merges took {elapsed:.0f} s"
    print(f"every version read in {time.monotonic() - started - elapsed:.1f} s")


@pytest.mark.timeout(240)
def test_concurrent_inserts_of_the_same_keys_never_duplicate_them(lake_storage: Any) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    target = _target(lake_storage)
    _merge(target, 99, 1, workers=(99,))
    _race(lake_storage, "shared")

    table = target.open()
    assert table is not None
    rows = table.to_pyarrow_dataset(filesystem=lake_storage.filesystem(target.uri)).to_table()
    ids = sorted(rows["id"].to_pylist())
    assert ids == sorted([99 * 1000 + k for k in range(KEYS)] + SHARED_KEYS)  # each key once
    for worker in range(PROCESSES):
        assert table.transaction_version(f"shared/w{worker}") == SHARED_MERGES
    shared = rows.filter(pc.is_in(rows["id"], pa.array(SHARED_KEYS)))
    assert set(shared["value"].to_pylist()) == {SHARED_MERGES}  # every row from a last batch


if __name__ == "__main__":
    worker_main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:])
