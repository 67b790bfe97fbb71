"""Reading back what an engine staged: the Parquet files under its output folder.

Engines write Hive-style partition folders (``col=value/``, values percent-encoded, NULL as
``__HIVE_DEFAULT_PARTITION__``); this turns such a folder into :class:`Staged` so every
engine reports its output the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from sluiceway.engines.base import Input, Output
from sluiceway.lake.staged import HIVE_NULL, Staged, StagedFile

if TYPE_CHECKING:
    import pyarrow as pa


def list_staged(output: Output, schema: pa.Schema) -> Staged:
    """The Parquet files under ``output.directory`` with their partition values and rows."""
    import pyarrow.parquet as pq

    root = Path(output.directory)
    files: list[StagedFile] = []
    rows = 0
    for path in sorted(root.rglob("*.parquet")):
        relative = path.relative_to(root)
        values = partition_values(relative.parts[:-1], output.partition_by)
        files.append(StagedFile(relative.as_posix(), path.stat().st_size, values))
        rows += pq.read_metadata(path).num_rows
    return Staged(
        directory=str(root),
        files=tuple(files),
        schema=schema,
        rows=rows,
        partition_by=tuple(output.partition_by),
    )


def partition_values(
    folders: tuple[str, ...], partition_by: tuple[str, ...]
) -> dict[str, str | None]:
    """``col=value`` folder names → ``{col: value}`` (unescaped; the Hive NULL → None).

    Raises:
        ValueError: the folders do not name exactly the partition columns, in order.
    """
    found: dict[str, str | None] = {}
    for folder in folders:
        key, sep, raw = folder.partition("=")
        if not sep:
            raise ValueError(f"staged folder {folder!r} is not a col=value partition folder")
        value = unquote(raw)
        found[unquote(key)] = None if value == HIVE_NULL else value
    if tuple(found) != tuple(partition_by):
        raise ValueError(
            f"staged partition folders {tuple(found)} do not match partition_by {partition_by}"
        )
    return found


def staged_input(staged: Staged, name: str) -> Input:
    """``staged`` as an input any engine can read under ``name`` (``layer.table``).

    The quality gate reads a step's staged result through the step's own engine this way,
    before anything is committed.
    """
    root = Path(staged.directory)
    return Input(
        name=name,
        uri=root.as_uri(),
        version=0,
        files=tuple((root / f.path).as_uri() for f in staged.files),
        schema=staged.schema,
        partition_by=staged.partition_by,
        open_dataset=staged.dataset,
        size_bytes=sum(f.size for f in staged.files),
        plain_files=True,
        never_null=_never_null(root, staged),
    )


def _never_null(root: Path, staged: Staged) -> frozenset[str] | None:
    """Columns no staged file holds a null in, by the files' footers (None: not known)."""
    import pyarrow.parquet as pq

    if not staged.files:
        return None
    found: set[str] | None = None
    for item in staged.files:
        metadata = pq.read_metadata(root / item.path)
        clean: set[str] = set()
        for index in range(metadata.num_columns):
            chunks = [metadata.row_group(g).column(index) for g in range(metadata.num_row_groups)]
            path = chunks[0].path_in_schema if chunks else None
            if path is None or "." in path:
                continue  # nested: not a top-level column
            stats = [c.statistics for c in chunks]
            if all(s is not None and s.has_null_count and s.null_count == 0 for s in stats):
                clean.add(path)
        found = clean if found is None else found & clean
    return frozenset(found or ())
