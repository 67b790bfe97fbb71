"""The ``ingest`` step for ``source: {type: database}``: read a table or query into the lake.

``mode: full`` reads every row; unless the step sets a ``materialization``, it *replaces*
the table (overwrite), so the lake mirrors the source. ``mode: incremental`` reads only the
rows whose ``cursor`` is above the watermark the step's last commit recorded and, unless
told otherwise, *appends* them. An explicit ``materialization`` always wins: ``merge`` with
keys turns an incremental read of an ``updated_at`` cursor into upserts.

An incremental read first asks the source for the highest cursor value past the
watermark and reads ``watermark < cursor <= highest``: that value is known before the
write starts, so it is committed as the new watermark in the same Delta transaction as
the rows, and rows arriving during the read wait for the next run instead of being
half-counted. When nothing is past the watermark, nothing is committed (no empty commit;
the watermark stays) and the step reports 0 rows.

Rows stream from a server-side cursor through the lake's writer one chunk at a time, so
memory is bounded by ``chunk_size``, not by the table.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sluiceway.ingest.database.chunks import Chunks
from sluiceway.ingest.database.connect import SourceUrl, connect, read_error, resolve_url
from sluiceway.ingest.database.errors import DatabaseSourceError
from sluiceway.ingest.database.statements import (
    Relation,
    describe,
    max_statement,
    reflect_table,
    rows_statement,
    wrap_query,
)
from sluiceway.ingest.database.types import ColumnValueError
from sluiceway.ingest.database.watermarks import previous_watermark, watermark_metadata
from sluiceway.lake.commit import CommitResult
from sluiceway.lake.materializations import kind_of
from sluiceway.orchestrate.steps.base import StepOutcome
from sluiceway.orchestrate.steps.incremental import WATERMARK_KEY

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from sluiceway.lake.commit import WriteContext
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.materializations import Materialization
    from sluiceway.spec.sources import DatabaseSource
    from sluiceway.spec.steps import IngestStep

log = logging.getLogger("sluiceway.ingest.database")


def ingest_database(step: IngestStep, ctx: StepContext, batch: WriteContext) -> StepOutcome:
    """Read the step's database source and commit it to ``step.table`` as batch ``batch``.

    Raises:
        DatabaseUnavailableError: the database cannot be reached (transient).
        DatabaseSourceError: no such table or cursor column, the query fails, a value does
            not fit its column's type.
        SecretNotSetError: the URL references an unset environment variable.
    """
    from sqlalchemy.exc import DBAPIError

    from sluiceway.spec.sources import DatabaseSource

    source = step.source
    assert isinstance(source, DatabaseSource)
    what = f"step {step.name} ({source.table or 'query'})"
    url = resolve_url(source.url)
    with connect(url, what=what) as connection:
        try:
            return _ingest(step, ctx, batch, source, url, connection, what)
        except DBAPIError as exc:
            # ``from None``: the chained error's text is SQLAlchemy's, with the SQL echoed.
            raise read_error(exc, url, what) from None


def materialization_for(step: IngestStep) -> Materialization:
    """The step's own materialization if it sets one; else overwrite (full) or append."""
    from sluiceway.spec.materializations import Append, Overwrite

    if "materialization" in step.model_fields_set:
        return step.materialization
    mode = getattr(step.source, "mode", "full")
    return Overwrite(type="overwrite") if mode == "full" else Append(type="append")


def _ingest(
    step: IngestStep,
    ctx: StepContext,
    batch: WriteContext,
    source: DatabaseSource,
    url: SourceUrl,
    connection: Connection,
    what: str,
) -> StepOutcome:
    relation = _relation(connection, source, what)
    materialization = materialization_for(step)
    cursor = source.cursor if source.mode == "incremental" else None
    bounds: dict[str, Any] = {}
    if cursor is not None:
        table = ctx.lake.table(step.table)
        after = previous_watermark(table, batch.app_id, cursor, relation.column(cursor).type)
        upto = connection.execute(max_statement(relation, cursor, after=after)).scalar()
        if upto is None:
            log.info("%s: nothing past the watermark %s=%r", what, cursor, after)
            return _nothing_new(step, materialization, after, cursor)
        bounds = {"after": after, "upto": upto}
        batch = replace(batch, metadata={**batch.metadata, **watermark_metadata(cursor, upto)})
    label = f"{url.display}: {describe(relation, cursor, connection.dialect, **bounds)}"
    batch = replace(batch, source=label)
    log.info("%s: reading %s in chunks of %d rows", what, label, source.chunk_size)
    chunks = Chunks(
        connection, rows_statement(relation, cursor, **bounds), relation.columns, source.chunk_size
    )
    try:
        commit = ctx.lake.write(step.table, chunks.reader(), materialization, batch)
    except Exception:
        failure = _source_failure(chunks, url, what)
        if failure is None:
            raise
        raise failure from None
    finally:
        chunks.close()
    log.info("%s: %d rows in %d chunks", what, chunks.rows, chunks.chunks)
    return StepOutcome(
        table=step.table,
        commit=commit,
        metrics={
            "rows_read": chunks.rows,
            "chunks": chunks.chunks,
            "largest_chunk": chunks.largest,
            "watermark": batch.metadata.get(WATERMARK_KEY),
        },
    )


def _relation(connection: Connection, source: DatabaseSource, what: str) -> Relation:
    if source.table is not None:
        return reflect_table(connection, source.table, source.cursor, what=what)
    assert source.query is not None
    return wrap_query(source.query, source.cursor)


def _nothing_new(
    step: IngestStep, materialization: Materialization, after: Any, cursor: str
) -> StepOutcome:
    """0 rows and no commit: ``version=None`` says nothing was written."""
    kind = kind_of(materialization)
    mark = watermark_metadata(cursor, after)[WATERMARK_KEY] if after is not None else None
    return StepOutcome(
        table=step.table,
        commit=CommitResult(step.table, version=None, operation=kind),
        metrics={"rows_read": 0, "chunks": 0, "largest_chunk": 0, "watermark": mark},
    )


def _source_failure(chunks: Chunks, url: SourceUrl, what: str) -> Exception | None:
    """What went wrong at the source while the lake wrote, if the source is to blame.

    The Delta writer pulls the chunks, so a source failure reaches the step wrapped in the
    writer's error; the chunk reader kept the original.
    """
    from sqlalchemy.exc import DBAPIError

    error = chunks.error
    if isinstance(error, ColumnValueError):
        return DatabaseSourceError(
            f"{what}: a value does not fit the lake's column type: {error}",
            hint="read the column through a query: that casts it, e.g. CAST(x AS numeric(20, 4))",
        )
    if isinstance(error, DBAPIError):
        return read_error(error, url, what)
    return error if isinstance(error, Exception) else None
