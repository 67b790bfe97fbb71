"""Per-file staging folders: a file's Parquet is kept apart until the file is accepted.

Each file is staged into its own sub-folder of the batch's staging folder while its bytes
are hashed; only when it is not a duplicate are its files moved up (renames on one disk)
into the folder the lake commits.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def publish(folder: Path, into: Path) -> None:
    """Move every Parquet file under ``folder`` to the same relative place under ``into``."""
    if not folder.exists():
        return
    for item in folder.rglob("*.parquet"):
        target = into / item.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        item.rename(target)


def clear(folder: Path) -> None:
    """Delete everything a file staged into ``folder``, keeping the folder itself."""
    for child in folder.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
