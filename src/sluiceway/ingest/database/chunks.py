"""A SELECT's rows streamed as Arrow record batches, ``chunk_size`` rows at a time.

The statement runs on a server-side cursor (``stream_results``), and rows are fetched one
chunk per round trip, converted to a record batch and handed on before the next chunk is
fetched, so memory holds about one chunk however large the table is. The batches are
pulled by the lake's writer as it writes; the connection must stay open until it is done.

A failure while the writer pulls (a dropped connection, a value that does not fit its
type) surfaces inside the Delta writer, which wraps it; :attr:`Chunks.error` keeps the
original so the step can report it as it happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluiceway.ingest.database.types import ColumnType, described_types, schema_of, to_batch

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection


class Chunks:
    """The rows of ``statement``, as a ``RecordBatchReader`` of ``chunk_size``-row batches.

    Args:
        connection: an open connection (kept open while the batches are read).
        statement: the SELECT.
        columns: the result's column types when known (a reflected table); otherwise they
            are taken from the driver's description of the result.
        chunk_size: rows per fetch and per record batch.
    """

    def __init__(
        self,
        connection: Connection,
        statement: sa.Select[Any],
        columns: tuple[ColumnType, ...] | None,
        chunk_size: int,
    ) -> None:
        self.chunk_size = chunk_size
        self.chunks = 0
        self.rows = 0
        self.largest = 0
        self.error: BaseException | None = None
        self._result = connection.execute(
            statement, execution_options={"stream_results": True, "yield_per": chunk_size}
        )
        description = self._result.cursor.description if self._result.cursor else None
        self.columns = columns or tuple(described_types(connection.dialect.name, description or ()))
        self.schema = schema_of(self.columns)

    def reader(self) -> pa.RecordBatchReader:
        """The batches, fetched as the reader is consumed (zero batches for an empty result)."""
        return pa.RecordBatchReader.from_batches(self.schema, self._batches())

    def close(self) -> None:
        """Release the server-side cursor (also done when the batches run out)."""
        self._result.close()

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            # An explicit size: ``partitions()`` alone may return the whole result as one.
            for rows in self._result.partitions(self.chunk_size):
                batch = to_batch(rows, self.columns, self.schema)
                self.chunks += 1
                self.rows += batch.num_rows
                self.largest = max(self.largest, batch.num_rows)
                yield batch
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self._result.close()
