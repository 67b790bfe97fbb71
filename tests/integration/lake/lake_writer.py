"""A writer process for the crash and concurrency tests: appends numbered batches, resumably.

Usage: ``python lake_writer.py LAKE_ROOT TABLE APP_ID BATCHES ROWS``. S3 credentials and
endpoint come from the standard ``AWS_*`` variables, as in production. On start it asks the
table which batch ``APP_ID`` committed last (``committed_batch``) and resumes after it; it
prints ``committed N VERSION`` after each commit and ``done`` at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

from sluiceway.lake.commit import WriteContext, committed_batch
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import lake_storage
from sluiceway.lake.table import open_delta
from sluiceway.spec.settings import ProjectSettings, TableDefaults


def main(root: str, table: str, app_id: str, batches: int, rows: int) -> None:
    settings = ProjectSettings(name="writer", lake=root)
    # The tests using this writer count commits exactly; automatic compaction would add
    # OPTIMIZE commits between them (it has tests of its own).
    lake = Lake(lake_storage(settings, Path.cwd()), defaults=TableDefaults(autocompact_files=0))
    handle = lake.table(table)
    start = (
        committed_batch(open_delta(handle.uri, lake.storage.storage_options()), app_id) or 0
    ) + 1
    print(f"resume {start}", flush=True)
    for batch in range(start, batches + 1):
        data = pa.table(
            {
                "writer": pa.array([app_id] * rows),
                "batch": pa.array([batch] * rows, pa.int64()),
                "row": pa.array(range(rows), pa.int64()),
            }
        )
        ctx = WriteContext(run_id=f"{app_id}#{batch}", app_id=app_id, batch=batch)
        result = lake.write(table, data, "append", ctx)
        print(f"committed {batch} {result.version} {int(result.skipped)}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
