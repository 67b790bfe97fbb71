"""``scd2``: type-2 history of a full snapshot, one atomic MERGE per batch.

Every version of an entity is a row with ``valid_from``, ``valid_to`` (null while current)
and ``is_current``. The batch is the source's *full snapshot*, so for each batch:

* a new key is inserted as current;
* a key whose tracked columns changed (``_sw_row_hash``) has its current row closed
  (``valid_to`` = the batch's time, ``is_current`` = false) and a new current version
  inserted;
* an unchanged key is not touched;
* a current key absent from the batch is closed the same way (a delete is a closure, so
  the history keeps it); if it comes back later it opens a new version.

The version time is the batch's ``loaded_at`` (the :class:`WriteContext` fixes it per
batch): deterministic for a re-run, the same for every row of a batch. With
``valid_from: <column>`` it is that column's value instead (business time: when the change
happened at the source, e.g. ``updated_at``), falling back to ``loaded_at`` where the
column is null, so a fact can be joined to the version in force when it happened. Either
way ``valid_to`` of a changed key's old version is exactly ``valid_from`` of its new one;
a key absent from the snapshot is closed at ``loaded_at``.

All of this is one MERGE with the usual *staged union* source: every batch row once with
its key in a staged match column (``_sw_mk_*``), to close the current version or insert a
new key, plus, for changed keys only, the row again with a null match key, which matches
nothing and so inserts the new version. An empty batch closes every current row, as a
snapshot with no rows says. The whole target is read (the snapshot may close any key), so
SCD2 is not narrowed by key ranges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sluiceway.lake import lineage
from sluiceway.lake import predicates as p
from sluiceway.lake.commit import CommitResult, commit_properties
from sluiceway.lake.errors import LakeError
from sluiceway.lake.merge_commit import merged, table_schema, write_keyed
from sluiceway.lake.merge_narrowing import distinct_from, merge_predicate
from sluiceway.lake.merge_source import constant, keyed_and_hashed

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.materializations.base import Target
    from sluiceway.lake.materializations.writing import Rows

OPERATION = "scd2"
VALID_FROM = "valid_from"
VALID_TO = "valid_to"
IS_CURRENT = "is_current"
HISTORY_COLUMNS = (VALID_FROM, VALID_TO, IS_CURRENT)
MATCH_PREFIX = "_sw_mk_"
SOURCE, TARGET = "s", "t"


class Scd2Materializer:
    """Keep every version of each ``spec.keys`` entity; ``spec.track`` says what is a change."""

    kind: ClassVar[str] = "scd2"
    maintained: ClassVar[tuple[str, ...]] = HISTORY_COLUMNS

    def write(self, target: Target, data: Rows, ctx: WriteContext, spec: Any) -> CommitResult:
        """Apply snapshot ``data`` to ``target``'s history as batch ``ctx``."""
        column = getattr(spec, "valid_from", None)

        def stamped(
            source: pa.Table, keys: list[str], track: list[str] | None, ctx: WriteContext, name: str
        ) -> pa.Table:
            return prepare(source, keys, track, ctx, name, valid_from=column)

        return write_keyed(
            target, data, ctx, spec, OPERATION, prepare=stamped, apply=apply_snapshot
        )


def prepare(
    source: pa.Table,
    keys: list[str],
    track: list[str] | None,
    ctx: WriteContext,
    name: str,
    *,
    valid_from: str | None = None,
) -> pa.Table:
    """The snapshot with keys checked, hashed, and stamped as current from ``valid_from``
    (a column of the snapshot) or ``loaded_at``."""
    import pyarrow as pa

    reserved = [c for c in source.column_names if c in HISTORY_COLUMNS]
    if reserved:
        raise LakeError(
            f"{name}: the result has column(s) {', '.join(map(repr, reserved))}, which scd2 "
            "maintains itself",
            hint="rename them in the query",
        )
    source = keyed_and_hashed(source, keys, track, name)
    stamp = pa.timestamp("us", tz="UTC")
    n = source.num_rows
    starts = constant(ctx.loaded_at, stamp, n)
    if valid_from is not None:
        starts = _business_time(source, valid_from, starts, name)
    source = source.append_column(VALID_FROM, starts)
    source = source.append_column(VALID_TO, constant(None, stamp, n))
    source = source.append_column(IS_CURRENT, constant(True, pa.bool_(), n))
    # Each version is a row of its own: created when it opens, updated when it closes.
    source = source.append_column(lineage.CREATED_AT, constant(ctx.loaded_at, stamp, n))
    return source.append_column(lineage.UPDATED_AT, constant(ctx.loaded_at, stamp, n))


def changed_keys(source: pa.Table, current: pa.Table, keys: list[str]) -> pa.Table:
    """The keys (as a table) whose current version's hash differs from the batch's."""
    import pyarrow.compute as pc

    old = current.select([*keys, lineage.ROW_HASH]).rename_columns([*keys, "_sw_old_hash"])
    old = old.cast(_with_key_types(old.schema, source.schema, keys))
    joined = source.select([*keys, lineage.ROW_HASH]).join(old, keys, join_type="inner")
    differs = pc.fill_null(pc.not_equal(joined[lineage.ROW_HASH], joined["_sw_old_hash"]), True)
    return joined.filter(differs).select(keys)


def staged(source: pa.Table, changed: pa.Table, keys: list[str]) -> pa.Table:
    """The staged union: every row keyed to match, plus changed rows keyed to match nothing."""
    import pyarrow as pa

    match = source
    for i, key in enumerate(keys):
        match = match.append_column(f"{MATCH_PREFIX}{i}", source.column(key))
    if changed.num_rows == 0:
        return match
    again = source.join(changed, keys, join_type="left semi").select(source.column_names)
    for i, key in enumerate(keys):
        again = again.append_column(
            f"{MATCH_PREFIX}{i}", pa.nulls(again.num_rows, source.schema.field(key).type)
        )
    return pa.concat_tables([match, again.cast(match.schema)])  # joins drop NOT NULL


def apply_snapshot(
    table: DeltaTable, target: Target, source: pa.Table, keys: list[str], ctx: WriteContext
) -> CommitResult:
    """The one MERGE that moves ``table``'s history to the snapshot ``source``."""
    current = _current(table, target, keys)
    changed = changed_keys(source, current, keys)
    rows = staged(source, changed, keys)
    match_keys = [f"{MATCH_PREFIX}{i}" for i in range(len(keys))]
    predicate = p.and_(
        merge_predicate(keys, source_keys=match_keys, target=TARGET, source=SOURCE),
        p.compare(IS_CURRENT, "=", True, table=TARGET),
    )
    # A changed key's old version ends when its new one starts; a vanished key at load time.
    replaced = {p.column(VALID_TO): p.column(VALID_FROM, SOURCE), p.column(IS_CURRENT): p.FALSE}
    closed = {p.column(VALID_TO): p.literal(ctx.loaded_at), p.column(IS_CURRENT): p.FALSE}
    if lineage.UPDATED_AT in table_schema(table).names:  # tables from before the column
        replaced[p.column(lineage.UPDATED_AT)] = p.literal(ctx.loaded_at)
        closed[p.column(lineage.UPDATED_AT)] = p.literal(ctx.loaded_at)
    inserts = {p.column(c): p.column(c, SOURCE) for c in source.column_names}
    before = table.version()
    metrics = (
        table.merge(
            rows,
            predicate,
            source_alias=SOURCE,
            target_alias=TARGET,
            merge_schema=True,
            writer_properties=target.writer_properties(),
            commit_properties=commit_properties(ctx),
        )
        .when_matched_update(replaced, predicate=distinct_from(lineage.ROW_HASH, TARGET, SOURCE))
        .when_not_matched_insert(inserts)
        .when_not_matched_by_source_update(
            closed, predicate=p.compare(IS_CURRENT, "=", True, table=TARGET)
        )
        .execute()
    )
    inserted = int(metrics.get("num_target_rows_inserted", 0))
    updated = int(metrics.get("num_target_rows_updated", 0))
    return merged(
        table,
        target,
        ctx,
        OPERATION,
        metrics,
        version_before=before,
        unchanged=source.num_rows - inserted,
        extra={
            "versions_changed": changed.num_rows,
            "keys_closed": updated - changed.num_rows,
            "keys_new": inserted - changed.num_rows,
        },
    )


def _business_time(source: pa.Table, column: str, fallback: Any, name: str) -> Any:
    """``column`` as UTC microsecond timestamps (naive values read as UTC), nulls filled."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column not in source.column_names:
        raise LakeError(
            f"{name}: scd2 valid_from column {column!r} is not in the result",
            hint="select it in the query, or drop valid_from to use the load time",
        )
    values = source.column(column)
    kind = values.type
    if pa.types.is_date(kind):
        values = pc.cast(values, pa.timestamp("us"))
        kind = values.type
    if not pa.types.is_timestamp(kind):
        raise LakeError(
            f"{name}: scd2 valid_from column {column!r} is {kind}, not a date or timestamp",
            hint="cast it to a timestamp in the query",
        )
    if kind.tz is None:
        values = pc.assume_timezone(values, "UTC")
    values = pc.cast(values, pa.timestamp("us", tz="UTC"))
    return pc.coalesce(values, fallback)


def _current(table: DeltaTable, target: Target, keys: list[str]) -> pa.Table:
    """Keys and hashes of the current versions (a projected, filtered scan)."""
    import pyarrow.dataset as ds

    dataset = table.to_pyarrow_dataset(filesystem=target.storage.filesystem(target.uri))
    return dataset.to_table(
        columns=[*keys, lineage.ROW_HASH],
        filter=ds.field(IS_CURRENT) == True,  # noqa: E712
    )


def _with_key_types(schema: pa.Schema, source: pa.Schema, keys: list[str]) -> pa.Schema:
    """``schema`` with its key fields typed as in ``source`` (so the join can compare them)."""
    import pyarrow as pa

    return pa.schema(
        [source.field(f.name) if f.name in keys else f for f in schema], metadata=schema.metadata
    )
