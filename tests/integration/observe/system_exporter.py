"""An exporter process for the crash test: passes over the system tables until one is empty.

Usage: ``python system_exporter.py PROJECT_ROOT PAGE``. Commits ``PAGE`` rows at most each
(so a backlog takes many commits to kill in between), prints ``committed TABLE BATCH`` after
each commit and ``done`` once a pass had nothing left to export.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sluiceway.meta.store import open_project_store
from sluiceway.observe.system import facts, sla, states
from sluiceway.observe.system.target import Target
from sluiceway.observe.system_tables import export_system_tables
from sluiceway.spec.project import load_project


def main(root: str, page: int) -> None:
    facts.PAGE = states.PAGE = sla.PAGE = page
    commit = Target.commit

    def reporting(self: Target, data: Any, batch: int, **options: Any) -> Any:
        result = commit(self, data, batch, **options)
        print(f"committed {self.table.name} {batch} {int(result.skipped)}", flush=True)
        return result

    Target.commit = reporting  # type: ignore[method-assign]
    project = load_project(Path(root))
    store = open_project_store(project)
    print("ready", flush=True)
    while True:
        report = export_system_tables(project, store)
        if not report.ok:
            raise SystemExit(f"export failed: {report.errors}")
        if report.rows == 0:
            break
    store.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
