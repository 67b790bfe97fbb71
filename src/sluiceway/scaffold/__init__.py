"""The example project ``sluiceway init`` writes, and its sample-data generator.

``shop/`` is the single copy of the example: ``examples/shop`` in the repository points at
it, so what ``init`` scaffolds and what the docs describe cannot drift apart.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sluiceway.errors import UsageError
from sluiceway.scaffold.sample_data import GeneratedData, generate

EXAMPLE = Path(__file__).parent / "shop"


@dataclass(frozen=True)
class Scaffolded:
    """What :func:`scaffold` wrote."""

    root: Path
    files: list[Path]
    data: GeneratedData | None


def scaffold(target: Path, *, with_data: bool = True, days: int = 3, seed: int = 7) -> Scaffolded:
    """Copy the example project into ``target`` and generate its landing files.

    Refuses a folder that already holds files, so an existing project is never overwritten.
    """
    if target.exists() and any(target.iterdir()):
        raise UsageError(
            f"{target} is not empty", hint="choose a new folder, or remove the files in it first"
        )
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLE, target, dirs_exist_ok=True, ignore=_ignored)
    files = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    data = generate(target / "landing", days=days, seed=seed) if with_data else None
    return Scaffolded(root=target, files=files, data=data)


def _ignored(folder: str, names: list[str]) -> set[str]:
    # Never copy what a run of the example left behind in the package folder.
    return {n for n in names if n in {"lake", "lake-dev", "landing", ".sluiceway", "__pycache__"}}
