"""``sluiceway demo``: the example project, run by its events, embedded, start to finish.

The project is created without data and served; then each day of sample files lands in the
landing zone while the daemon runs, as a real export would. Nothing is run by hand: the
files trigger the ingestion pipelines, their commits trigger silver (its checks gate what it
publishes), silver's commits trigger gold. Once nothing is left to do, the daemon stops and
the runs, tables, rows and check results are printed.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command("demo")(demo)


def demo(
    directory: Annotated[
        Path, typer.Argument(help="Folder to create the example project in (must not exist).")
    ] = Path(".demo/shop"),
    days: Annotated[int, typer.Option(min=1, max=30, help="Days of sample files to land.")] = 3,
    pause: Annotated[
        float, typer.Option(min=0.0, help="Seconds between two days' files landing.")
    ] = 1.0,
    step_workers: Annotated[
        int, typer.Option("--step-workers", min=0, help="Worker processes the steps run in.")
    ] = 2,
) -> None:
    """Create the example project and let the daemon run it as sample files land."""
    from sluiceway.cli.render import console
    from sluiceway.cli.summary import print_summary
    from sluiceway.errors import UsageError
    from sluiceway.meta.store import open_project_store
    from sluiceway.orchestrate.daemon import Daemon, DaemonSettings
    from sluiceway.scaffold import scaffold
    from sluiceway.scaffold.sample_data import generate
    from sluiceway.spec.project import load_project

    target = directory.resolve()
    if target.exists() and any(target.iterdir()):
        raise UsageError(
            f"{directory} is not empty", hint="remove it, or name another folder for the demo"
        )
    scaffold(target, with_data=False)
    project = load_project(target)
    store = open_project_store(project)
    started = time.time()
    settings = DaemonSettings(step_workers=step_workers, until_idle=True, idle_seconds=2.0)
    daemon = Daemon(project, store, settings)
    serving = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    console.print(f"created the example project in {directory}; serving it")
    serving.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = generate(Path(tmp), days=days)
            by_day: dict[str, list[Path]] = {}
            for file in data.files:
                by_day.setdefault(file.path.stem.rsplit("_", 1)[-1], []).append(file.path)
            for day, files in sorted(by_day.items()):
                for path in files:
                    _land(path, target / "landing" / path.relative_to(tmp))
                names = ", ".join(p.name for p in files)
                console.print(f"landed {day}: {names}")
                time.sleep(pause)
        console.print("waiting for the runs the files triggered…")
        while serving.is_alive():
            serving.join(timeout=0.5)
    except KeyboardInterrupt:
        daemon.stop_event.set()
        serving.join()
        raise
    print_summary(store, since=started)
    store.close()
    elapsed = time.time() - started
    console.print(f"done in {elapsed:.0f} s; explore: sluiceway -p {directory} tables")


def _land(source: Path, destination: Path) -> None:
    """Copy ``source`` beside ``destination``, then rename it into place: it lands whole."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.parent / f".{destination.name}.part"
    shutil.copyfile(source, partial)
    partial.replace(destination)
