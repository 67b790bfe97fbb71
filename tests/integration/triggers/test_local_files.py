"""The local files watcher on a real folder with real OS file events.

Waits are real (the kernel reports on its own time) but bounded by what the behaviour
needs: the watcher's settle interval is shortened to 0.1 s, and "exactly once" is checked
after waiting a few settle intervals more.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sluiceway.events.types import FileArrived
from sluiceway.orchestrate.triggers.files_local import LocalFilesWatcher
from support.triggers import events_of, wait_for_events

SETTLE = 0.1
QUIET = 0.4  # real seconds after which no further event may appear
GLOBS = ("orders/*.csv",)


@contextmanager
def watching(store, root: Path, **options) -> Iterator[LocalFilesWatcher]:
    watcher = LocalFilesWatcher(store, root, GLOBS, **{"settle": SETTLE, **options})
    watcher.start()
    try:
        yield watcher
    finally:
        watcher.stop()
    assert not watcher.running


def arrivals(store) -> list[FileArrived]:
    found = events_of(store, "file.arrived")
    assert all(isinstance(e, FileArrived) for e in found)
    return found  # type: ignore[return-value]


def settled(store, count: int) -> list[FileArrived]:
    """The arrivals once ``count`` are in and no more came during a quiet period."""
    wait_for_events(store, "file.arrived", count)
    time.sleep(QUIET)
    return arrivals(store)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="close-after-write is Linux's")
def test_a_file_written_slowly_in_parts_is_handed_on_once_complete(store, tmp_path) -> None:
    root = tmp_path / "landing"
    (root / "orders").mkdir(parents=True)
    with watching(store, root) as watcher:
        assert watcher.close_events
        target = root / "orders" / "day1.csv"
        with target.open("w") as out:
            out.write("id,amount\n")
            out.flush()
            time.sleep(3 * SETTLE)  # a pause longer than the settle interval: still open
            out.write("1,9.5\n")
            out.flush()
            time.sleep(3 * SETTLE)
            out.write("2,3.0\n")
        [event] = settled(store, 1)
    assert (event.path, event.uri) == ("orders/day1.csv", str(target))
    assert event.size == target.stat().st_size == len("id,amount\n1,9.5\n2,3.0\n")
    assert event.mtime is not None and event.etag is None


def test_without_close_events_a_file_is_handed_on_once_it_settles(store, tmp_path) -> None:
    """The rule used where the OS has no close-after-write: size and mtime unchanged."""
    root = tmp_path / "landing"
    (root / "orders").mkdir(parents=True)
    settle = 0.5  # ten times the writer's pauses: a busy machine must not split the file
    with watching(store, root, close_events=False, settle=settle):
        target = root / "orders" / "day1.csv"
        with target.open("w") as out:
            for n in range(4):
                out.write(f"{n},1.0\n")
                out.flush()
                time.sleep(settle / 10)
        [event] = settled(store, 1)
    assert event.size == target.stat().st_size == 4 * len("0,1.0\n")


def test_files_present_at_start_are_handed_on(store, tmp_path) -> None:
    root = tmp_path / "landing"
    (root / "orders").mkdir(parents=True)
    (root / "orders" / "a.csv").write_text("id\n1\n")
    (root / "orders" / "b.csv").write_text("id\n2\n")
    with watching(store, root):
        found = settled(store, 2)
    assert sorted(e.path for e in found) == ["orders/a.csv", "orders/b.csv"]


def test_processed_hidden_temp_and_unmatched_files_are_ignored(store, tmp_path) -> None:
    root = tmp_path / "landing"
    (root / "_processed" / "orders").mkdir(parents=True)
    (root / "orders").mkdir()
    (root / "_processed" / "orders" / "old.csv").write_text("id\n0\n")
    with watching(store, root):
        for name in (".hidden.csv", "up.csv.tmp", "down.csv.part", "notes.txt", "_x.csv"):
            (root / "orders" / name).write_text("id\n1\n")
        (root / "_processed" / "orders" / "moved.csv").write_text("id\n1\n")
        (root / "orders" / "real.csv").write_text("id\n1\n")
        found = settled(store, 1)
    assert [e.path for e in found] == ["orders/real.csv"]


def test_a_file_renamed_into_place_is_handed_on_at_once(store, tmp_path) -> None:
    root = tmp_path / "landing"
    (root / "orders").mkdir(parents=True)
    with watching(store, root):
        part = root / "orders" / "day2.csv.part"
        part.write_text("id\n1\n2\n")
        part.rename(root / "orders" / "day2.csv")
        [event] = settled(store, 1)
    assert (event.path, event.size) == ("orders/day2.csv", len("id\n1\n2\n"))


def test_a_folder_moved_in_is_scanned(store, tmp_path) -> None:
    root = tmp_path / "landing"
    root.mkdir()
    staging = tmp_path / "staging" / "orders"
    staging.mkdir(parents=True)
    (staging / "a.csv").write_text("id\n1\n")
    with watching(store, root):
        os.rename(staging, root / "orders")
        [event] = settled(store, 1)
    assert event.path == "orders/a.csv"


def test_a_restart_hands_on_only_new_or_changed_files(store, tmp_path) -> None:
    root = tmp_path / "landing"
    (root / "orders").mkdir(parents=True)
    (root / "orders" / "a.csv").write_text("id\n1\n")
    with watching(store, root):
        wait_for_events(store, "file.arrived", 1)
    (root / "orders" / "b.csv").write_text("id\n2\n")
    with (root / "orders" / "a.csv").open("a") as out:
        out.write("3\n")
    with watching(store, root):
        found = settled(store, 3)
    first, *after_restart = [(e.path, e.size) for e in found]
    assert first == ("orders/a.csv", 5)
    assert sorted(after_restart) == [("orders/a.csv", 7), ("orders/b.csv", 5)]
