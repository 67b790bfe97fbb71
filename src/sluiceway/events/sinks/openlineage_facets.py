"""OpenLineage facets as plain JSON objects, each stamped with its schema's URL.

Plain dictionaries rather than the client library's classes: the facet versions the
library stamps drift from the spec's (its ``DataQualityMetricsDatasetFacet`` claims a
version the spec does not publish), and an event is only as good as the schema a
consumer checks it against. Every facet here names a schema in the OpenLineage spec, and
a test validates each one against it. Functions are pure: they take what the metadata
store says and return JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sluiceway.meta.checks import CheckResult
from sluiceway.meta.schema_diff import Column

Json = dict[str, Any]

SPEC_URL = "https://openlineage.io/spec"
RUN_EVENT_SCHEMA = f"{SPEC_URL}/2-0-2/OpenLineage.json#/$defs/RunEvent"

#: Each facet's schema: the spec's file name and version (``facets/<version>/<file>.json``).
FACET_SCHEMAS: Mapping[str, tuple[str, str]] = {
    "ColumnLineageDatasetFacet": ("1-2-0", "ColumnLineageDatasetFacet"),
    "DataQualityAssertionsDatasetFacet": ("1-1-0", "DataQualityAssertionsDatasetFacet"),
    "DataQualityMetricsDatasetFacet": ("1-0-0", "DataQualityMetricsDatasetFacet"),
    "DatasetTypeDatasetFacet": ("1-0-1", "DatasetTypeDatasetFacet"),
    "DatasetVersionDatasetFacet": ("1-0-1", "DatasetVersionDatasetFacet"),
    "DocumentationDatasetFacet": ("1-1-0", "DocumentationDatasetFacet"),
    "DocumentationJobFacet": ("1-1-0", "DocumentationJobFacet"),
    "ErrorMessageRunFacet": ("1-0-1", "ErrorMessageRunFacet"),
    "JobTypeJobFacet": ("2-0-4", "JobTypeJobFacet"),
    "OutputStatisticsOutputDatasetFacet": ("1-0-2", "OutputStatisticsOutputDatasetFacet"),
    "OwnershipDatasetFacet": ("1-0-1", "OwnershipDatasetFacet"),
    "OwnershipJobFacet": ("1-0-1", "OwnershipJobFacet"),
    "ParentRunFacet": ("1-2-0", "ParentRunFacet"),
    "ProcessingEngineRunFacet": ("1-1-1", "ProcessingEngineRunFacet"),
    "SQLJobFacet": ("1-1-0", "SQLJobFacet"),
    "SchemaDatasetFacet": ("1-2-0", "SchemaDatasetFacet"),
    "StorageDatasetFacet": ("1-0-1", "StorageDatasetFacet"),
    "SymlinksDatasetFacet": ("1-0-1", "SymlinksDatasetFacet"),
    "TagsDatasetFacet": ("1-0-0", "TagsDatasetFacet"),
}

INTEGRATION = "SLUICEWAY"
"""``jobType.integration``: which tool's jobs these are."""

#: ``jobType.jobType`` of each step type, in the words other integrations use.
STEP_JOB_TYPES: Mapping[str, str] = {
    "sql": "QUERY",
    "check": "TEST",
    "ingest": "INGEST",
    "python": "TASK",
    "publish": "EXPORT",
}


@cache
def sluiceway_version() -> str:
    """The installed Sluiceway version (``0.0.0`` when run from an uninstalled tree)."""
    try:
        return version("sluiceway")
    except PackageNotFoundError:
        return "0.0.0"


@cache
def producer() -> str:
    """The ``producer`` of every event and facet: a URI naming Sluiceway and its version."""
    return f"https://sluiceway.dev/releases/{sluiceway_version()}"


def schema_url(facet: str) -> str:
    """The ``_schemaURL`` of ``facet`` (a key of :data:`FACET_SCHEMAS`)."""
    spec_version, file = FACET_SCHEMAS[facet]
    return f"{SPEC_URL}/facets/{spec_version}/{file}.json#/$defs/{facet}"


def facet(kind: str, **fields: Any) -> Json:
    """A facet of schema ``kind`` with ``fields``; fields that are None are left out."""
    body = {k: v for k, v in fields.items() if v is not None}
    return {"_producer": producer(), "_schemaURL": schema_url(kind), **body}


# --- datasets -------------------------------------------------------------------------


def schema_facet(columns: Sequence[Column]) -> Json:
    """The table's columns with their types, descriptions and positions."""
    fields = []
    for position, column in enumerate(columns, start=1):
        field: Json = {"name": column.name, "type": column.type, "ordinal_position": position}
        if column.description:
            field["description"] = column.description
        fields.append(field)
    return facet("SchemaDatasetFacet", fields=fields)


def symlinks_facet(namespace: str, name: str) -> Json:
    """The dataset's name in the catalog, as users write it (``silver.orders``)."""
    identifiers = [{"namespace": namespace, "name": name, "type": "TABLE"}]
    return facet("SymlinksDatasetFacet", identifiers=identifiers)


def version_facet(delta_version: int) -> Json:
    """The Delta table version the event is about (what time travel reads back)."""
    return facet("DatasetVersionDatasetFacet", datasetVersion=str(delta_version))


def storage_facet() -> Json:
    """Every lake table is a Delta table of Parquet files."""
    return facet("StorageDatasetFacet", storageLayer="delta", fileFormat="parquet")


def dataset_type_facet(is_view: bool) -> Json:
    """TABLE, or VIEW for a view materialization."""
    return facet("DatasetTypeDatasetFacet", datasetType="VIEW" if is_view else "TABLE")


def documentation_dataset_facet(description: str) -> Json:
    """The table's description from its pipeline."""
    return facet("DocumentationDatasetFacet", description=description, contentType="text/plain")


def ownership_dataset_facet(owner: str) -> Json:
    """The team or person answering for the table."""
    return facet("OwnershipDatasetFacet", owners=[{"name": owner}])


def tags_facet(table_tags: Iterable[str], columns: Sequence[Column]) -> Json | None:
    """Table and column tags (``pii`` above all), so lineage tools can follow them."""
    tags: list[Json] = [{"key": t, "value": "true", "source": "SLUICEWAY"} for t in table_tags]
    for column in columns:
        tags += [
            {"key": t, "value": "true", "source": "SLUICEWAY", "field": column.name}
            for t in column.tags
        ]
    return facet("TagsDatasetFacet", tags=tags) if tags else None


@dataclass(frozen=True, slots=True)
class InputField:
    """One input column of an output column: a dataset identity and a column name."""

    namespace: str
    name: str
    field: str


def column_lineage_facet(fields: Mapping[str, Sequence[InputField]]) -> Json:
    """Which input columns each output column is computed from (the SQL's lineage)."""
    body = {
        column: {
            "inputFields": [
                {
                    "namespace": i.namespace,
                    "name": i.name,
                    "field": i.field,
                    "transformations": [{"type": "DIRECT"}],
                }
                for i in sorted(inputs, key=lambda i: (i.namespace, i.name, i.field))
            ]
        }
        for column, inputs in sorted(fields.items())
    }
    return facet("ColumnLineageDatasetFacet", fields=body)


def data_quality_metrics_facet(
    rows: int,
    columns: Sequence[Mapping[str, Any]],
    *,
    exact: bool,
    size: int | None = None,
    files: int | None = None,
) -> Json:
    """Row count, nulls, distinct values and numeric bounds of the rows a commit added.

    Args:
        columns: the profile's columns (``quality.profile.ColumnProfile.to_json``).
        exact: the profile read every row; a sampled profile's distinct count is only a
            lower bound, so it is left out rather than reported as a fact.
    """
    metrics: Json = {}
    for column in columns:
        entry: Json = {}
        nulls = column.get("nulls")
        if isinstance(nulls, int):
            entry["nullCount"] = nulls
            entry["count"] = rows - nulls
        distinct = column.get("distinct")
        if exact and isinstance(distinct, int):
            entry["distinctCount"] = distinct
        for bound in ("min", "max"):
            value = _number(column.get(bound))
            if value is not None:
                entry[bound] = value
        metrics[str(column["name"])] = entry
    return facet(
        "DataQualityMetricsDatasetFacet",
        rowCount=rows,
        bytes=size,
        fileCount=files,
        columnMetrics=metrics,
    )


def assertion(result: CheckResult, column: str | None = None, params: Json | None = None) -> Json:
    """One check result as an assertion (``success`` is whether the data held)."""
    entry: Json = {
        "assertion": result.check_type,
        "success": result.status == "passed",
        "severity": result.severity,
        "name": result.check_name,
    }
    if column is not None:
        entry["column"] = column
    if result.observed is not None:
        entry["actual"] = str(result.observed)
    if result.message:
        entry["description"] = result.message
    if params:
        entry["params"] = params
    return entry


def data_quality_assertions_facet(assertions: Sequence[Json]) -> Json:
    """The checks that ran on the dataset in this step and how each ended."""
    return facet("DataQualityAssertionsDatasetFacet", assertions=list(assertions))


def output_statistics_facet(
    rows: int | None, size: int | None = None, files: int | None = None
) -> Json | None:
    """Rows, bytes and files the step's commit wrote to the table."""
    if rows is None and size is None and files is None:
        return None
    return facet("OutputStatisticsOutputDatasetFacet", rowCount=rows, size=size, fileCount=files)


# --- runs and jobs --------------------------------------------------------------------


def parent_facet(run_id: str, namespace: str, name: str) -> Json:
    """The pipeline run a step belongs to (it is also the root: pipelines do not nest)."""
    run = {"runId": run_id}
    job = {"namespace": namespace, "name": name}
    return facet("ParentRunFacet", run=run, job=job, root={"run": run, "job": job})


def error_facet(message: str) -> Json:
    """Why a run or a step failed."""
    return facet("ErrorMessageRunFacet", message=message, programmingLanguage="python")


def processing_engine_facet() -> Json:
    """Sluiceway, with its version, ran the job."""
    current = sluiceway_version()
    return facet(
        "ProcessingEngineRunFacet",
        name="sluiceway",
        version=current,
        openlineageAdapterVersion=current,
    )


def job_type_facet(job_type: str) -> Json:
    """Batch jobs of the Sluiceway integration: ``PIPELINE``, or the step's kind."""
    return facet(
        "JobTypeJobFacet", processingType="BATCH", integration=INTEGRATION, jobType=job_type
    )


def documentation_job_facet(description: str) -> Json:
    """The pipeline's or step's description."""
    return facet("DocumentationJobFacet", description=description, contentType="text/plain")


def ownership_job_facet(owner: str) -> Json:
    """The pipeline's owner."""
    return facet("OwnershipJobFacet", owners=[{"name": owner}])


def sql_job_facet(query: str) -> Json:
    """The SQL of a ``sql`` step, as written (before its Jinja is rendered)."""
    return facet("SQLJobFacet", query=query, dialect="duckdb")


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
