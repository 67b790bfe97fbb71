"""The ``ingest`` step for files: list, claim, parse, quarantine, commit, record, dispose.

Exactly once rests on the file ledger and the Delta app transaction agreeing:

1. every listed file is a *delivery* in the ledger (path + mtime/size, or ETag);
2. new deliveries are *claimed* for a batch number before anything is written;
3. their good rows are staged and their bad rows written to ``<table>__quarantine``, both
   tagged with that batch — the quarantine commit first, then the table's, which records
   each file's counts in its commit metadata (``sluiceway.files``);
4. the ledger marks them loaded; only then is a file moved or deleted (``on_processed``).

A crash anywhere leaves claimed deliveries; the next run finds them first. If the table's
log already holds their batch, only the ledger update was lost: the counts are read back
from the commit. If not, the batch is redone *under the same number*, so a quarantine commit
that did land is skipped rather than written twice.

A file whose bytes were already loaded under another name is recorded ``duplicate`` and
skipped (or loaded, with ``duplicate_content: load``). A file that cannot be read at all is
recorded ``failed`` with the reason and a ``file.failed`` event; the others still load, and
the failed file stays in the landing zone (a corrected file, with a new mtime, is a new
delivery).
"""

from __future__ import annotations

import json
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluiceway.ingest.files.batches import BatchReport, Loaded, outcome
from sluiceway.ingest.files.checked import failed_checks
from sluiceway.ingest.files.digest import declared_compression, sha256_checked
from sluiceway.ingest.files.landing import Landing, LandingFile
from sluiceway.ingest.files.quarantine import quarantine_rows, write_quarantine
from sluiceway.ingest.files.recovery import FILES_KEY, record_committed
from sluiceway.ingest.files.result import FileResult, FileUnreadable, NewColumns
from sluiceway.ingest.files.text import DAMAGED
from sluiceway.lake.errors import SchemaPolicyError
from sluiceway.orchestrate.steps.base import StepOutcome

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.ingest.files.contract import Contract
    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.lake.staged import Output, Staged
    from sluiceway.meta.ledger import FileRecord, LedgerRepo
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.sources import FilesSource
    from sluiceway.spec.steps import IngestStep


def ingest_files(step: IngestStep, ctx: StepContext, batch: WriteContext) -> StepOutcome:
    """Load every new file the step's glob selects, as batch ``batch`` (and later numbers)."""
    from sluiceway.meta.ledger import LedgerRepo

    assert ctx.store is not None, "file ingestion needs the metadata store (its ledger)"
    source: FilesSource = step.source  # type: ignore[assignment]
    landing = Landing.for_project(ctx.project)
    ledger = LedgerRepo(ctx.store)
    listed = landing.list(source.glob)
    by_uri = {f.uri: f for f in listed}
    reports = _recover(step, ctx, batch, landing, ledger, by_uri)
    pending = _new_deliveries(step, ctx, landing, ledger, listed)
    reports += _load_all(step, ctx, batch, landing, ledger, pending)
    return outcome(step, reports, listed)


def ledger_claimed(ledger: LedgerRepo, ctx: StepContext, step: IngestStep) -> list[FileRecord]:
    """Deliveries claimed for a batch that has not been recorded as loaded."""
    seen = ledger.with_status(ctx.pipeline.name, step.name, ["seen"])
    return [r for r in seen if r.batch is not None]


def _recover(
    step: IngestStep,
    ctx: StepContext,
    batch: WriteContext,
    landing: Landing,
    ledger: LedgerRepo,
    by_uri: dict[str, LandingFile],
) -> list[BatchReport]:
    """Finish the batches a crashed run claimed: record them, or redo them (same number)."""
    from sluiceway.lake.commit import committed_batch

    claimed = ledger_claimed(ledger, ctx, step)
    if not claimed:
        return []
    table = ctx.lake.table(step.table)
    last = committed_batch(table.delta(), batch.app_id) if table.exists() else None
    reports = []
    for number in sorted({r.batch for r in claimed if r.batch is not None}):
        records = [r for r in claimed if r.batch == number]
        if last is not None and last >= number:
            record_committed(step, ctx, batch.app_id, number, records, landing, ledger)
            continue
        pending = []
        for record in records:
            file = by_uri.get(record.uri)
            if file is None:
                ledger.mark_failed(record.id, "the file disappeared before it was committed")
                continue
            pending.append((file, record))
        redo = replace(batch, batch=number)
        report, rest = _load(step, ctx, redo, landing, ledger, pending, claimed=True)
        reports.append(report)
        if rest:  # files deferred by new columns: claimed again under a later number
            reports.extend(_load_all(step, ctx, batch, landing, ledger, rest))
    return reports


def _load_all(
    step: IngestStep,
    ctx: StepContext,
    batch: WriteContext,
    landing: Landing,
    ledger: LedgerRepo,
    pending: list[tuple[LandingFile, FileRecord]],
) -> list[BatchReport]:
    from sluiceway.lake.commit import committed_batch

    table = ctx.lake.table(step.table)
    last = committed_batch(table.delta(), batch.app_id) if table.exists() else None
    number = max(batch.batch, (last or 0) + 1)
    size = step.source.batch_files  # type: ignore[union-attr]
    reports = []
    while pending:
        chunk, later = pending[:size], pending[size:]
        report, rest = _load(step, ctx, replace(batch, batch=number), landing, ledger, chunk)
        reports.append(report)
        pending = rest + later
        number += 1
    return reports


def _new_deliveries(
    step: IngestStep,
    ctx: StepContext,
    landing: Landing,
    ledger: LedgerRepo,
    listed: list[LandingFile],
) -> list[tuple[LandingFile, FileRecord]]:
    """Listed files not yet loaded, failed, skipped or claimed, as ledger records."""
    source: FilesSource = step.source  # type: ignore[assignment]
    pending = []
    for file in listed:
        observed = ledger.observe(
            ctx.pipeline.name, step.name, file.uri, size=file.size, mtime=file.mtime, etag=file.etag
        )
        record = observed.record
        if record.status == "loaded":
            landing.dispose(file, source.on_processed)  # a crash between commit and disposal
        elif record.status == "seen" and record.batch is None:
            pending.append((file, record))
    return pending


def _load(
    step: IngestStep,
    ctx: StepContext,
    batch: WriteContext,
    landing: Landing,
    ledger: LedgerRepo,
    pending: list[tuple[LandingFile, FileRecord]],
    *,
    claimed: bool = False,
) -> tuple[BatchReport, list[tuple[LandingFile, FileRecord]]]:
    """Parse ``pending`` files and commit them as ``batch``; return the files left for later.

    A file that brings columns the batch has not seen ends the batch (one commit has one
    schema): it and the files after it are returned, to be loaded under the next number.
    """
    from sluiceway.events import emit

    source: FilesSource = step.source  # type: ignore[assignment]
    contract = _contract(step, ctx)
    engine = ctx.engines.get("duckdb")
    con = engine.connection  # type: ignore[attr-defined]
    loaded: list[Loaded] = []
    failed = duplicates = 0
    rest: list[tuple[LandingFile, FileRecord]] = []
    hashes: dict[str, str] = {}
    quarantine: list[dict[str, Any]] = []
    schemas: list[pa.Schema] = []  # each loaded file's staged schema, in load order
    with ctx.lake.staging(step.table, batch) as output:
        for index, (file, record) in enumerate(pending):
            folder = Path(output.directory) / f"__sw_file_{uuid.uuid4().hex[:8]}"
            folder.mkdir()
            each = replace(output, directory=str(folder))
            try:
                with landing.local_path(file) as path:
                    digest, result, label = _parse(con, path, file, source, contract, each, loaded)
            except NewColumns:
                shutil.rmtree(folder, ignore_errors=True)
                rest = pending[index:]
                break
            except FileUnreadable as exc:
                shutil.rmtree(folder, ignore_errors=True)
                if not claimed:
                    record = ledger.claim(record.id, batch.batch)
                ledger.mark_failed(record.id, str(exc))
                emit(ctx.store, _failed(ctx, step, file, str(exc)))  # type: ignore[arg-type]
                failed += 1
                continue
            earlier = hashes.get(digest) or _loaded_elsewhere(ledger, ctx, step, digest)
            if earlier is not None and source.duplicate_content == "skip":
                shutil.rmtree(folder, ignore_errors=True)
                name = earlier.removeprefix(landing.root).lstrip("/")
                ledger.mark(
                    record.id,
                    "duplicate",
                    f"{file.path}: same content as {name}, which was already loaded; "
                    "skipped (set duplicate_content: load to load it anyway)",
                )
                duplicates += 1
                continue
            if not claimed:
                record = ledger.claim(record.id, batch.batch, digest)
            hashes[digest] = file.uri
            schemas += _staged_schemas(folder)
            _publish(folder, Path(output.directory))
            if contract is None:
                contract = result.contract
            loaded.append(Loaded(file, record, result, label))
        staged = None
        if loaded and schemas:
            staged, loaded = _audit(step, ctx, batch, output, loaded, schemas)
        for item in loaded:
            quarantine += quarantine_rows(item.file, item.result)
        quarantined = write_quarantine(step, ctx, batch, quarantine)
        commit = _commit(step, ctx, batch, output, loaded, schemas, staged)
    version = commit.version if commit is not None else None
    for item in loaded:
        ledger.mark_loaded(
            item.record.id,
            batch=batch.batch,
            table_version=version,
            rows_read=item.result.rows_read,
            rows_loaded=item.result.rows_loaded,
            rows_quarantined=item.result.rows_quarantined,
        )
        landing.dispose(item.file, source.on_processed)
    return BatchReport(loaded, failed, duplicates, commit, quarantined), rest


def _parse(
    con: Any,
    path: Path,
    file: LandingFile,
    source: FilesSource,
    contract: Contract | None,
    output: Output,
    loaded: list[Loaded],
) -> tuple[str, FileResult, str]:
    """Hash the file (on another thread) while it is parsed and staged; its rows' label."""
    from sluiceway.ingest.files.formats import stage_file

    compression = declared_compression(file, source)
    label = _label(path, file, source, compression)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sw-hash") as pool:
        digest = pool.submit(sha256_checked, path, compression)
        result = stage_file(
            con, path, file, source.format, contract, output, label, first=not loaded
        )
        found, problem = digest.result()
        if problem is not None:
            raise FileUnreadable(f"{file.path}: {problem}", hint=DAMAGED)
        return found, result, label


def _label(path: Path, file: LandingFile, source: FilesSource, compression: str) -> str:
    """``_sw_source`` of the file's rows: its landing path and the lines its records span
    (``orders/a.csv:2-1001``); a Parquet file has no lines, its path alone."""
    from sluiceway.ingest.files.line_range import label, line_range

    fmt = source.format
    if fmt.type == "parquet":
        return file.path
    first = 2 if getattr(fmt, "header", False) else 1
    return label(file.path, line_range(path, compression, first=first))


def _loaded_elsewhere(
    ledger: LedgerRepo, ctx: StepContext, step: IngestStep, digest: str
) -> str | None:
    """The file already loaded with these bytes (under another name, or re-delivered)."""
    for record in ledger.by_content_hash(ctx.pipeline.name, step.name, digest):
        return record.uri
    return None


def _publish(folder: Path, into: Path) -> None:
    """Move a file's staged Parquet (with its partition folders) into the batch's folder."""
    from sluiceway.ingest.files.staging import publish

    publish(folder, into)
    shutil.rmtree(folder, ignore_errors=True)


def _contract(step: IngestStep, ctx: StepContext) -> Contract | None:
    """Declared (with the table's other columns), else frozen from the table, else None
    (inferred from the first file)."""
    from sluiceway.ingest.files.contract import declared, frozen, over_table

    source: FilesSource = step.source  # type: ignore[assignment]
    table = ctx.lake.table(step.table)
    strict = ctx.lake.target(step.table).schema_policy == "strict"
    contract = None
    if source.contract is not None:
        contract = declared(source.contract, ctx.project.root)
    if not table.exists():
        return contract
    import pyarrow as pa

    schema = pa.schema(table.delta().schema().to_arrow())
    if contract is None:
        return frozen(schema, evolve=not strict)
    return over_table(contract, schema, strict=strict)


def _commit(
    step: IngestStep,
    ctx: StepContext,
    batch: WriteContext,
    output: Output,
    loaded: list[Loaded],
    schemas: list[pa.Schema],
    staged: Staged | None = None,
) -> CommitResult | None:
    """Commit the staged rows with each file's counts in the commit's metadata.

    ``schemas``: the staged schema of each loaded file, in load order. ``staged``: the
    files to commit when the checks re-staged the passing rows (else the output folder's).
    """
    from sluiceway.engines.staging import list_staged

    if not loaded:
        return None
    files = {
        item.file.uri: [
            item.result.rows_read,
            item.result.rows_loaded,
            item.result.rows_quarantined,
        ]
        for item in loaded
    }
    tagged = replace(batch, metadata={**batch.metadata, FILES_KEY: json.dumps(files)})
    if not schemas:
        if not ctx.lake.table(step.table).exists():
            return None  # nothing to create a table from: only bad or empty files
        return ctx.lake.write(step.table, _empty(ctx, step), step.materialization, tagged)
    if staged is None:
        staged = list_staged(output, _batch_schema(schemas, output))
    try:
        return ctx.lake.commit_staged(step.table, staged, step.materialization, tagged)
    except SchemaPolicyError as exc:
        # Files bringing columns a strict table lacks fail on their own before this; what
        # is left is the contract disagreeing with the table, which every file would share.
        raise SchemaPolicyError(
            exc.message,
            hint="declare the table's columns with the table's types in the contract (adding "
            "a column needs schema_policy: evolve on the table); the files are loaded by the "
            "next run once the contract fits",
        ) from exc


def _audit(
    step: IngestStep,
    ctx: StepContext,
    batch: WriteContext,
    output: Output,
    loaded: list[Loaded],
    schemas: list[pa.Schema],
) -> tuple[Staged | None, list[Loaded]]:
    """Run the table's checks on the batch's staged rows before anything is committed.

    Rows failing an ``error`` check join the files' own bad rows in the quarantine — the
    file they came from (their ``_sw_source``), the check's column, which checks they
    failed and the row as JSON — and the files' counts move with them, so
    ``rows_read = rows_loaded + rows_quarantined`` still holds per file. A ``block``
    failure stops the step with nothing committed; the batch is redone by the next run.
    """
    from sluiceway.engines.staging import list_staged
    from sluiceway.orchestrate.steps.gated import checks_of
    from sluiceway.quality.gate import Where, audit

    checks = checks_of(step, ctx)
    if not checks:
        return None, loaded
    staged = list_staged(output, _batch_schema(schemas, output))
    where = Where(ctx.lake, ctx.store, ctx.run.id, ctx.pipeline.name, step.name)
    engine = ctx.engines.get("duckdb")
    verdict = audit(
        engine,
        staged,
        checks,
        table=step.table,
        where=where,
        batch=batch,
        output=output,
        write_quarantine=False,
    )
    if verdict.rows is None or verdict.rows.num_rows == 0:
        return verdict.staged, loaded
    return verdict.staged, failed_checks(verdict.rows, loaded, checks)


def _staged_schemas(folder: Path) -> list[pa.Schema]:
    """The schema of the Parquet one file staged into ``folder`` (none if it staged nothing)."""
    import pyarrow.parquet as pq

    first = next(iter(sorted(folder.rglob("*.parquet"))), None)
    return [] if first is None else [pq.read_schema(first)]


def _batch_schema(schemas: list[pa.Schema], output: Output) -> pa.Schema:
    """The schema of a batch's staged rows: every column any of its files staged.

    A file that brings a new column may share its batch with files that lack it (only a
    file whose columns the batch has not seen yet starts a new one); those files' rows get
    NULL in it. Columns are taken in the order the files were loaded, so the schema does
    not depend on the staged files' (random) names; the partition columns come last, as
    text.
    """
    import pyarrow as pa

    schema = pa.unify_schemas(schemas)
    for column in output.partition_by:
        if schema.get_field_index(column) < 0:
            schema = schema.append(pa.field(column, pa.string()))
    return schema


def _empty(ctx: StepContext, step: IngestStep) -> pa.Table:
    import pyarrow as pa

    schema = pa.schema(ctx.lake.table(step.table).delta().schema().to_arrow())
    return schema.empty_table()


def _failed(ctx: StepContext, step: IngestStep, file: LandingFile, error: str) -> Any:
    from sluiceway.events.types import FileFailed

    return FileFailed(
        run_id=ctx.run.id, pipeline=ctx.pipeline.name, step=step.name, uri=file.uri, error=error
    )
