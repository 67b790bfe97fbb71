"""Files that store string *view* types, scanned apart so filters on them stay correct.

delta-rs's MERGE, DELETE and OPTIMIZE (DataFusion underneath) write string and binary
columns as Arrow ``string_view``/``binary_view`` and record that in each file's Arrow
schema; other writers (Polars 1.38, for one) did the same. pyarrow reads such a file with
view types whatever the dataset's schema says, and its compute functions have no kernels
for them: a filter DuckDB pushes into the scan with a string literal
(``status NOT IN ('cancelled', 'returned')``, a join's dynamic key filter) fails with
``Function 'equal' has no kernel matching input types (string, string_view)`` — on any
table a merge has touched.

DuckDB knows this and pushes no filter into a scan whose schema declares a view type. So
an input's files are split by what their footers say: the plain files keep full projection
and filter pushdown, and the view-typed files become a second scan whose schema declares
views, which DuckDB filters itself. The engine exposes the two as one ``UNION ALL``.

A file's footer is read once per process (files are immutable) and the fragment keeps it,
so the scan does not read it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.dataset as ds

if TYPE_CHECKING:
    from collections.abc import Sequence

FOOTER_THREADS = 8
"""Footers read at once (object stores answer each request in tens of milliseconds)."""
REMEMBERED_FILES = 100_000
"""Files whose answer is kept for the process's lifetime, least recently used dropped."""

_seen: OrderedDict[tuple[str, str], bool] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Split:
    """An input's files in two datasets: ``plain`` (full pushdown) and ``viewed`` (none)."""

    plain: ds.Dataset
    viewed: ds.Dataset | None = None


def split_views(dataset: ds.Dataset, key: str) -> Split:
    """``dataset`` as is, or split when some of its Parquet files store view types.

    Args:
        dataset: a snapshot as a pyarrow dataset (other datasets are returned as they are).
        key: what identifies the table (its URI), for remembering files across calls.
    """
    if type(dataset) is not ds.FileSystemDataset or not _has_strings(dataset.schema):
        return Split(dataset)
    fragments = list(dataset.get_fragments())
    viewed = _viewed(fragments, key)
    if not any(viewed):
        return Split(dataset)
    plain = [f for f, v in zip(fragments, viewed, strict=True) if not v]
    views = [f for f, v in zip(fragments, viewed, strict=True) if v]
    root = dataset.partition_expression
    return Split(
        plain=ds.FileSystemDataset(
            plain, dataset.schema, dataset.format, dataset.filesystem, root_partition=root
        ),
        viewed=ds.FileSystemDataset(
            views, as_views(dataset.schema), dataset.format, dataset.filesystem, root_partition=root
        ),
    )


def as_views(schema: pa.Schema) -> pa.Schema:
    """``schema`` with its string and binary columns declared as view types."""
    return pa.schema([f.with_type(_view(f.type)) for f in schema], metadata=schema.metadata)


def _view(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pa.string_view()
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return pa.binary_view()
    return kind


def _has_strings(schema: pa.Schema) -> bool:
    return any(_view(f.type) != f.type for f in schema)


def _viewed(fragments: Sequence[ds.Fragment], key: str) -> list[bool]:
    """Whether each fragment's file stores a view type, from its footer (remembered)."""
    answers: list[bool | None] = []
    with _lock:
        for fragment in fragments:
            answer = _seen.get((key, fragment.path))
            if answer is not None:
                _seen.move_to_end((key, fragment.path))
            answers.append(answer)
    missing = [i for i, answer in enumerate(answers) if answer is None]
    if not missing:
        return [bool(a) for a in answers]
    if len(missing) == 1:
        found = [_stores_views(fragments[missing[0]])]
    else:
        with ThreadPoolExecutor(min(FOOTER_THREADS, len(missing))) as pool:
            found = list(pool.map(_stores_views, [fragments[i] for i in missing]))
    with _lock:
        for i, answer in zip(missing, found, strict=True):
            answers[i] = answer
            _seen[(key, fragments[i].path)] = answer
        while len(_seen) > REMEMBERED_FILES:
            _seen.popitem(last=False)
    return [bool(a) for a in answers]


def _stores_views(fragment: ds.Fragment) -> bool:
    schema = fragment.physical_schema  # reads the footer; the fragment keeps it
    return any(_is_view(f.type) for f in schema)


def _is_view(kind: pa.DataType) -> bool:
    if kind in (pa.string_view(), pa.binary_view()):
        return True
    if pa.types.is_struct(kind):
        return any(_is_view(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _is_view(kind.value_type)
    return False
