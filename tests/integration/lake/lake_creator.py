"""A writer process for the creation-race test: appends the first batch of many new tables.

Usage: ``python lake_creator.py LAKE_ROOT PREFIX TABLES START INTERVAL APP_ID FORM``, FORM
``table`` (the rows in memory) or ``stream`` (a record batch reader, read once). Table
``raw.{PREFIX}{k}`` is written at ``START + k * INTERVAL`` (epoch seconds), so several of these
processes started together create each table at the same instant. It prints ``created TABLE
VERSION`` per table and ``done`` at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyarrow as pa

from sluiceway.lake.commit import WriteContext
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import lake_storage
from sluiceway.spec.settings import ProjectSettings, TableDefaults


def main(
    root: str, prefix: str, tables: int, start: float, interval: float, app_id: str, form: str
) -> None:
    settings = ProjectSettings(name="creator", lake=root)
    lake = Lake(lake_storage(settings, Path.cwd()), defaults=TableDefaults(autocompact_files=0))
    data = pa.table({"writer": pa.array([app_id] * 10), "row": pa.array(range(10), pa.int64())})
    for k in range(tables):
        name = f"raw.{prefix}{k}"
        lake.table(name)  # resolve the handle before the instant, so the writes line up
        while time.time() < start + k * interval:
            time.sleep(0.001)
        ctx = WriteContext(run_id=f"{app_id}#{k}", app_id=app_id, batch=1)
        rows = data if form == "table" else data.to_reader()
        result = lake.write(name, rows, "append", ctx)
        print(f"created {name} {result.version}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], int(args[2]), float(args[3]), float(args[4]), args[5], args[6])
