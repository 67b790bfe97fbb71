"""From our events to OpenLineage ``RunEvent``s: which events map, and to what.

=====================  ===============================================================
our event              OpenLineage
=====================  ===============================================================
``run.started``        START of job ``<pipeline>`` (RUNNING when a worker took the run
                       over from a dead one)
``run.succeeded``      COMPLETE of it
``run.failed``         FAIL, with ``errorMessage``
``run.cancelled``      ABORT
``step.started``       START of job ``<pipeline>.<step>``, one run per attempt, with a
                       ``parent`` facet naming the pipeline run
``step.succeeded``     COMPLETE, with every table the attempt read and committed: Delta
                       version, schema, symlink to the catalog name, column lineage,
                       data quality metrics and assertions, output statistics
``step.failed``        FAIL, with ``errorMessage`` (a retry is a new attempt)
=====================  ===============================================================

An attempt that never ended — its worker died and the run was taken over, or the run was
cancelled under it — is ended ABORT by the next attempt's start or by the run's end, so
every START gets its end. Every other event maps to nothing. Mapping is deterministic: run
ids derive from our run ids and attempt numbers, and ``eventTime`` is the time in our log,
so an event mapped twice is the same event — which makes at-least-once delivery harmless.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluiceway.events.sinks import openlineage_facets as facets
from sluiceway.events.sinks.openlineage_facets import InputField, Json
from sluiceway.events.sinks.openlineage_facts import MetaFacts, StepFacts, check_specs
from sluiceway.events.sinks.openlineage_history import Attempt, attempts_before
from sluiceway.events.sinks.openlineage_naming import (
    catalog_namespace,
    dataset_name,
    job_namespace,
    pipeline_job,
    run_uuid,
    step_job,
    step_run_uuid,
)
from sluiceway.meta.runs import TERMINAL

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.meta.checks import CheckResult

#: The event types that map to OpenLineage events (what the sink's consumer reads).
MAPPED_TYPES = (
    "run.started",
    "run.succeeded",
    "run.failed",
    "run.cancelled",
    "step.started",
    "step.succeeded",
    "step.failed",
)

_RUN_END = {"run.succeeded": "COMPLETE", "run.failed": "FAIL", "run.cancelled": "ABORT"}
_STEP_TYPES = frozenset({"step.started", "step.succeeded", "step.failed"})


class LineageMapper:
    """Maps events to OpenLineage run events, reading what it needs from ``facts``.

    Args:
        facts: the metadata store and project, as :class:`MetaFacts`.
        namespace: the jobs' namespace (``openlineage.namespace``, default the project's
            name); environments other than prod get their own (``shop.dev``).
    """

    def __init__(self, facts: MetaFacts, namespace: str) -> None:
        self.facts = facts
        self.namespace = namespace

    def map(self, event: Event) -> list[Json]:
        """The OpenLineage events for ``event`` (none for types that do not map).

        Raises:
            NotReadyError: a step's facts are not all recorded yet (try again shortly).
        """
        if event.run_id is None or event.pipeline is None:
            return []
        if event.type == "run.started":
            first = int(getattr(event, "attempt", 1) or 1) <= 1
            return [self._run_event("START" if first else "RUNNING", event)]
        if event.type in _RUN_END:
            history = self._history(event)
            unfinished = [a for tries in history.values() for a in tries if not a.ended]
            ends = [self._step_event("ABORT", event, a) for a in unfinished]
            return [*ends, self._run_event(_RUN_END[event.type], event)]
        if event.step is None or event.type not in _STEP_TYPES:
            return []
        earlier = self._history(event).get(event.step, [])
        if event.type == "step.started":
            found = []
            if earlier and not earlier[-1].ended:  # its worker died: the run was taken over
                found.append(self._step_event("ABORT", event, earlier[-1]))
            attempt = Attempt(event.step, len(earlier) + 1, event.time)
            return [*found, self._step_event("START", event, attempt)]
        attempt = earlier[-1] if earlier else Attempt(event.step, 1, event.time)
        if event.type == "step.succeeded":
            facts = self.facts.step(event, earlier[-1] if earlier else None)
            return [self._step_event("COMPLETE", event, attempt, facts)]
        return [self._step_event("FAIL", event, attempt)]

    def _history(self, event: Event) -> dict[str, list[Attempt]]:
        """The attempts of the steps of ``event``'s run so far (none if it never started)."""
        assert event.run_id is not None
        run = self.facts.run(event.run_id)
        if run is not None and run.started_at is None and run.status in TERMINAL:
            return {}  # cancelled or failed while queued: no step ever started
        since = run.queued_at if run is not None else None
        return attempts_before(self.facts.store, event, since)

    # --- runs ---------------------------------------------------------------------------

    def _run_event(self, kind: str, event: Event) -> Json:
        assert event.run_id is not None and event.pipeline is not None
        env = self.facts.env(event.run_id)
        run_facets: Json = {"processing_engine": facets.processing_engine_facet()}
        _error(run_facets, event)
        job = {
            "namespace": job_namespace(self.namespace, env),
            "name": pipeline_job(event.pipeline),
            "facets": self._pipeline_facets(event.pipeline),
        }
        return _envelope(kind, event, {"runId": run_uuid(event.run_id), "facets": run_facets}, job)

    def _pipeline_facets(self, name: str) -> Json:
        found: Json = {"jobType": facets.job_type_facet("PIPELINE")}
        pipeline = self.facts.pipeline(name)
        if pipeline is not None:
            if pipeline.description:
                found["documentation"] = facets.documentation_job_facet(pipeline.description)
            if pipeline.owner:
                found["ownership"] = facets.ownership_job_facet(pipeline.owner)
        return found

    # --- steps --------------------------------------------------------------------------

    def _step_event(
        self, kind: str, event: Event, attempt: Attempt, step: StepFacts | None = None
    ) -> Json:
        """An event of one step attempt, at ``event``'s time (which may be another step's
        or the run's, for an attempt ended by what came after it)."""
        assert event.run_id is not None and event.pipeline is not None
        env = self.facts.env(event.run_id)
        namespace = job_namespace(self.namespace, env)
        run_facets: Json = {
            "parent": facets.parent_facet(
                run_uuid(event.run_id), namespace, pipeline_job(event.pipeline)
            ),
            "processing_engine": facets.processing_engine_facet(),
        }
        own = event.step == attempt.step
        if own:
            _error(run_facets, event)
        run_id = step_run_uuid(event.run_id, attempt.step, attempt.number)
        run = {"runId": run_id, "facets": run_facets}
        job = {
            "namespace": namespace,
            "name": step_job(event.pipeline, attempt.step),
            "facets": self._step_facets(event.pipeline, attempt.step),
        }
        if step is not None:
            inputs, outputs = self._datasets(env, event, step)
            return _envelope(kind, event, run, job, inputs=inputs, outputs=outputs)
        table = event.table if own else None
        declared = None if table is None else self._dataset(env, table)
        return _envelope(kind, event, run, job, outputs=[declared] if declared else [])

    def _step_facets(self, pipeline_name: str, step_name: str) -> Json:
        step = self.facts.step_spec(pipeline_name, step_name)
        pipeline = self.facts.pipeline(pipeline_name)
        kind = str(getattr(step, "type", ""))
        found: Json = {"jobType": facets.job_type_facet(facets.STEP_JOB_TYPES.get(kind, "TASK"))}
        if step is not None and step.description:
            found["documentation"] = facets.documentation_job_facet(step.description)
        if pipeline is not None and pipeline.owner:
            found["ownership"] = facets.ownership_job_facet(pipeline.owner)
        query = self._sql(step)
        if query:
            found["sql"] = facets.sql_job_facet(query)
        return found

    def _sql(self, step: Any) -> str | None:
        if getattr(step, "type", None) != "sql":
            return None
        if step.query:
            return str(step.query)
        try:
            return (Path(self.facts.project.root) / step.sql).read_text(encoding="utf-8")
        except OSError:
            return None

    def _datasets(self, env: str, event: Event, step: StepFacts) -> tuple[list[Json], list[Json]]:
        written = {c.table for c in step.commits}
        spec = self.facts.step_spec(event.pipeline, event.step)
        inputs: list[Json] = []
        for table, version in sorted(step.inputs.items()):
            dataset = self._dataset(env, table, version)
            if dataset is None:
                continue
            checked = [c for c in step.checks if c.table == table and table not in written]
            if checked:
                assertions = self._assertions(event, table, checked)
                dataset["inputFacets"] = {"dataQualityAssertions": assertions}
            inputs.append(dataset)
        landing = self._landing_input(spec)
        if landing is not None:
            inputs.append(landing)
        outputs: list[Json] = []
        for commit in step.commits:
            dataset = self._dataset(env, commit.table, commit.version, lineage=True)
            if dataset is None:
                continue
            self._quality(dataset, event, step, commit.table)
            record = step.record
            is_main = record is not None and record.table == commit.table
            metrics = record.metrics if record is not None and is_main else {}
            statistics = facets.output_statistics_facet(
                commit.rows, _int(metrics.get("bytes_written")), _int(metrics.get("files_written"))
            )
            if statistics is not None:
                dataset["outputFacets"] = {"outputStatistics": statistics}
            outputs.append(dataset)
        if not outputs and event.table is not None:
            # Nothing committed (already done, or nothing new): the table is still the
            # step's output, at the version it already had.
            dataset = self._dataset(env, event.table)
            if dataset is not None:
                outputs.append(dataset)
        return inputs, outputs

    def _quality(self, dataset: Json, event: Event, step: StepFacts, table: str) -> None:
        """Attach the table's profile and the checks the step ran on it before commit."""
        record = step.record
        profile = step.profiles.get(table)
        if profile is not None:
            metrics = record.metrics if record is not None and record.table == table else {}
            dataset["facets"]["dataQualityMetrics"] = facets.data_quality_metrics_facet(
                profile.rows,
                profile.columns,
                exact=profile.sampled_rows >= profile.rows,
                size=_int(metrics.get("bytes_written")),
                files=_int(metrics.get("files_written")),
            )
        checked = [c for c in step.checks if c.table == table]
        if checked:
            dataset["facets"]["dataQualityAssertions"] = self._assertions(event, table, checked)

    def _assertions(self, event: Event, table: str, results: list[CheckResult]) -> Json:
        specs = check_specs(
            self.facts.pipeline(event.pipeline),
            self.facts.step_spec(event.pipeline, event.step),
            table,
        )
        entries = []
        for result in results:
            if result.status == "skipped":
                continue  # not performed: no finding either way
            column, params = _check_detail(specs.get(result.check_name))
            entries.append(facets.assertion(result, column, params))
        return facets.data_quality_assertions_facet(entries)

    def _landing_input(self, spec: Any) -> Json | None:
        """An ingest step from files reads the folder its glob starts in."""
        source = getattr(spec, "source", None)
        if source is None or getattr(spec, "type", None) != "ingest" or source.type != "files":
            return None
        root = self.facts.landing_root().rstrip("/")
        prefix = _static_prefix(source.glob)
        identity = dataset_name(f"{root}/{prefix}" if prefix else root)
        return {"namespace": identity.namespace, "name": identity.name, "facets": {}}

    # --- datasets -----------------------------------------------------------------------

    def _dataset(
        self, env: str, table: str, version: int | None = None, *, lineage: bool = False
    ) -> Json | None:
        """A catalog table as an OpenLineage dataset; None when the catalog lacks it
        (a table not created yet has no location to name it by)."""
        info = self.facts.table(env, table)
        if info is None:
            return None
        identity = dataset_name(info.location)
        found: Json = {
            "symlinks": facets.symlinks_facet(
                catalog_namespace(self.facts.project.settings.name, info.env), table
            ),
            "storage": facets.storage_facet(),
            "datasetType": facets.dataset_type_facet(info.is_view),
            "schema": facets.schema_facet(info.columns),
        }
        if version is not None:
            found["version"] = facets.version_facet(version)
        if info.description:
            found["documentation"] = facets.documentation_dataset_facet(info.description)
        if info.owner:
            found["ownership"] = facets.ownership_dataset_facet(info.owner)
        tags = facets.tags_facet(info.tags, info.columns)
        if tags is not None:
            found["tags"] = tags
        if lineage:
            column_lineage = self._column_lineage(info.env, table)
            if column_lineage is not None:
                found["columnLineage"] = column_lineage
        return {"namespace": identity.namespace, "name": identity.name, "facets": found}

    def _column_lineage(self, env: str, table: str) -> Json | None:
        fields: dict[str, list[InputField]] = {}
        sources: dict[str, Any] = {}
        for edge in self.facts.lineage(env, table):
            if edge.column is None or edge.source_column is None:
                continue  # a table-level edge: the table is among the inputs already
            if edge.source not in sources:
                info = self.facts.table(env, edge.source)
                sources[edge.source] = None if info is None else dataset_name(info.location)
            identity = sources[edge.source]
            if identity is None:
                continue
            fields.setdefault(edge.column, []).append(
                InputField(identity.namespace, identity.name, edge.source_column)
            )
        return facets.column_lineage_facet(fields) if fields else None


def _envelope(
    kind: str,
    event: Event,
    run: Json,
    job: Json,
    *,
    inputs: list[Json] | None = None,
    outputs: list[Json] | None = None,
) -> Json:
    return {
        "eventType": kind,
        "eventTime": event.time.isoformat(),
        "producer": facets.producer(),
        "schemaURL": facets.RUN_EVENT_SCHEMA,
        "run": run,
        "job": job,
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def _error(run_facets: Json, event: Event) -> None:
    message = getattr(event, "error", None) or getattr(event, "reason", None)
    if isinstance(message, str) and message:
        run_facets["errorMessage"] = facets.error_facet(message)


def _check_detail(spec: Any) -> tuple[str | None, Json | None]:
    """The column a check is about (when it is about one) and its parameters."""
    if spec is None:
        return None, None
    column = getattr(spec, "column", None)
    columns = getattr(spec, "columns", None)
    if column is None and isinstance(columns, list) and len(columns) == 1:
        column = columns[0]
    params = spec.model_dump(mode="json", exclude={"name", "type", "severity"}, exclude_none=True)
    return (str(column) if column is not None else None), (params or None)


def _static_prefix(glob: str) -> str:
    """The folders of ``glob`` before its first wildcard: ``orders/*.csv`` → ``orders``."""
    parts: list[str] = []
    for part in glob.split("/")[:-1]:
        if any(c in part for c in "*?[{"):
            break
        parts.append(part)
    return "/".join(parts)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


__all__ = ["MAPPED_TYPES", "LineageMapper"]
