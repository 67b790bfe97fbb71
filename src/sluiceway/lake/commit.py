"""Exactly-once commits: every write is one Delta transaction tagged with its batch.

A step's writes carry a Delta *app transaction* (``app_id`` = ``pipeline/step``, ``version`` =
the batch number recorded in the run). Before writing, the lake asks the table which batch
of that app last committed; a batch at or below it is skipped. Because the marker is part of
the same atomic commit as the data, a crash can never leave data without marker or marker
without data — re-running after a crash is always safe.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sluiceway.lake.errors import CommitConflictError, clean_message

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import CommitProperties, DeltaTable

T = TypeVar("T")

COMMIT_RETRIES = 100
"""How often delta-rs retries a commit that lost the race to a compatible one (its default is
15). Only commits its conflict checker finds compatible are retried — blind appends, above
all — so more retries never let a real conflict through. An append's streamed input is not
spooled for the lake's own retry, so with many writers appending at once its commit should
not give up early."""


@dataclass(frozen=True)
class WriteContext:
    """Who is writing and which batch: carried into the commit and the lineage columns.

    ``loaded_at`` is fixed per batch, so a re-run of the same batch would stamp the same
    time (it is skipped anyway, but the value must not depend on when a retry happened).
    """

    run_id: str
    app_id: str
    batch: int
    source: str | None = None
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    metadata: dict[str, str] = field(default_factory=dict)
    """More ``sluiceway.*`` commit metadata committed with the data (e.g. a watermark)."""

    def custom_metadata(self) -> dict[str, str]:
        """What the Delta commit info records, so ``history`` can name the run."""
        metadata = {
            "sluiceway.run_id": self.run_id,
            "sluiceway.app_id": self.app_id,
            "sluiceway.batch": str(self.batch),
        }
        if self.source:
            metadata["sluiceway.source"] = self.source
        return {**self.metadata, **metadata}


@dataclass(frozen=True)
class CommitResult:
    """What one write did to a table. ``skipped`` means the batch had already committed."""

    table: str
    version: int | None
    operation: str
    skipped: bool = False
    rows_added: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    rows_unchanged: int = 0
    files_added: int = 0
    files_removed: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    schema: pa.Schema | None = None
    """The table's schema at ``version`` once the commit is registered (None before)."""
    bytes_added: int | None = None
    """Bytes of the data files the commit added, once it is registered (None before)."""


def commit_properties(ctx: WriteContext, *, creates: bool = False) -> CommitProperties:
    """The delta-rs commit properties that make this write exactly-once and traceable.

    Args:
        ctx: the batch being written.
        creates: the commit creates the table. delta-rs does not check a creation against
            a concurrent one: it rebases it to version 1 as a second ``protocol`` and
            ``metaData`` with a new table id, and fails the appends that loaded version 0.
            A creation therefore gets no delta-rs retry; the loser sees a conflict, and the
            lake's own retry reloads the table and appends to it.
    """
    from deltalake import CommitProperties, Transaction

    return CommitProperties(
        custom_metadata=ctx.custom_metadata(),
        max_commit_retries=0 if creates else COMMIT_RETRIES,
        app_transactions=[Transaction(app_id=ctx.app_id, version=ctx.batch)],
    )


def committed_batch(table: DeltaTable | None, app_id: str) -> int | None:
    """The last batch ``app_id`` committed to ``table`` (None if never, or no table yet)."""
    if table is None:
        return None
    version = table.transaction_version(app_id)
    return None if version is None else int(version)


def already_committed(table: DeltaTable | None, ctx: WriteContext) -> bool:
    """True when ``ctx.batch`` (or a later batch of the same app) is in the table's log."""
    last = committed_batch(table, ctx.app_id)
    return last is not None and last >= ctx.batch


def is_conflict(exc: BaseException) -> bool:
    """True for delta-rs errors a reload-and-retry can fix (another writer won the race)."""
    from deltalake.exceptions import CommitFailedError

    if isinstance(exc, CommitFailedError):
        return True
    text = clean_message(exc).lower()
    return any(
        marker in text
        for marker in (
            "conflict",
            "version already exists",
            "transaction failed",
            # Two first commits raced (mode="error" creation): the loser appends instead.
            "table already exists at that location",
        )
    )


def retry_on_conflict(
    operation: Callable[[], T],
    *,
    attempts: int = 10,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
    what: str = "commit",
) -> T:
    """Run ``operation`` until it commits, retrying conflicts with jittered backoff.

    ``operation`` must reload the table and re-check ``already_committed`` itself on each
    call: after a conflict the winner may have been this very batch (a retried request).
    """
    for attempt in range(attempts):
        try:
            return operation()
        except Exception as exc:
            if not is_conflict(exc) or attempt == attempts - 1:
                if is_conflict(exc):
                    raise CommitConflictError(
                        f"{what} lost to concurrent writers {attempts} times: {clean_message(exc)}",
                        hint="retry the step; if it keeps failing, lower the number of writers",
                    ) from exc
                raise
            delay = min(max_delay, base_delay * 2**attempt)
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not secrecy
    raise AssertionError("unreachable")
