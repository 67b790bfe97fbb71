"""What the metadata store knows about a run's steps, gathered for one OpenLineage event.

An event in the log says *that* a step succeeded; the lineage event must say what it read
and wrote, at which Delta versions, with which schema, column lineage, checks and profile.
All of that is in the metadata store by the time the step's ``step.succeeded`` is
appended — except the profile, which the run records on a background thread just after.
:meth:`MetaFacts.step` therefore reports a step as not ready (:class:`NotReadyError`)
while its profile is missing and can still come: the sink tries again a moment later, and
gives up waiting once the run has ended (every profile it will record is recorded by
then) or :data:`PROFILE_WAIT` has passed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sluiceway.errors import TransientError
from sluiceway.events.sinks.openlineage_history import Attempt, Commit, utc
from sluiceway.meta.checks import CheckRepo, CheckResult
from sluiceway.meta.lineage import Edge, LineageRepo
from sluiceway.meta.profiles import ProfileRepo, StoredProfile
from sluiceway.meta.runs import TERMINAL, Run, RunRepo
from sluiceway.meta.step_runs import StepRun

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.meta.catalog import TableInfo
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.pipeline import Pipeline
    from sluiceway.spec.project import Project

PROFILE_WAIT = 30.0
"""Seconds after a step's success that its lineage event waits for the commit's profile."""

PROFILE_HISTORY = 20
"""Profiles of a table searched for the one of a given Delta version (newest first)."""

QUARANTINE_SUFFIX = "__quarantine"
"""Tables of rows set aside by ingestion (never profiled)."""

_RUN_CACHE = 256


class NotReadyError(TransientError):
    """What a step's lineage event needs is not recorded yet; try again shortly."""


@dataclass(frozen=True, slots=True)
class StepFacts:
    """Everything a step's COMPLETE event is built from."""

    record: StepRun | None
    commits: list[Commit]
    inputs: dict[str, int]
    checks: list[CheckResult]
    profiles: dict[str, StoredProfile] = field(default_factory=dict)


class MetaFacts:
    """Reads the facts of runs and tables from the metadata store (and the project spec).

    Runs are cached (a finished run never changes, and a running one only changes in
    ways the mapping does not read); everything else is read when asked.
    """

    def __init__(self, store: MetaStore, project: Project, *, profile_wait: float = PROFILE_WAIT):
        self.store = store
        self.project = project
        self.profile_wait = profile_wait
        self._runs: OrderedDict[str, Run] = OrderedDict()

    # --- runs ---------------------------------------------------------------------------

    def run(self, run_id: str, *, fresh: bool = False) -> Run | None:
        """The run (cached unless ``fresh``), or None if the store does not know it."""
        if not fresh and run_id in self._runs:
            self._runs.move_to_end(run_id)
            return self._runs[run_id]
        found = RunRepo(self.store).get(run_id)
        if found is not None:
            self._runs[run_id] = found
            while len(self._runs) > _RUN_CACHE:
                self._runs.popitem(last=False)
        return found

    def env(self, run_id: str | None) -> str:
        """The environment a run ran in (the project's when the run is unknown)."""
        run = self.run(run_id) if run_id else None
        return run.env if run is not None else self.project.env

    def pipeline(self, name: str | None) -> Pipeline | None:
        """The pipeline's spec, if the project still defines it."""
        return self.project.pipelines.get(name) if name else None

    def step_spec(self, pipeline: str | None, step: str | None) -> Any:
        """The step's spec, if the project still defines it."""
        spec = self.pipeline(pipeline)
        if spec is None or step is None:
            return None
        return next((s for s in spec.steps if s.name == step), None)

    # --- tables -------------------------------------------------------------------------

    def table(self, env: str, qualified: str) -> TableInfo | None:
        """The catalog entry of ``layer.name`` in ``env``, else in the default environment.

        A dev run reads unchanged upstream tables from prod, so an input missing from the
        dev catalog is looked up there.
        """
        from sluiceway.events.sinks.openlineage_naming import DEFAULT_ENV

        layer, _, name = qualified.partition(".")
        found = self.store.catalog.get(env, layer, name)
        if found is None and env != DEFAULT_ENV:
            found = self.store.catalog.get(DEFAULT_ENV, layer, name)
        return found

    def lineage(self, env: str, table: str) -> list[Edge]:
        """The column lineage recorded for ``table`` (as of its latest commit)."""
        return LineageRepo(self.store).upstream(env, table)

    def landing_root(self) -> str:
        """The landing zone's root, absolute (a folder or an ``s3://`` URL)."""
        settings = self.project.settings
        return settings.location(settings.landing, self.project.root)

    # --- steps --------------------------------------------------------------------------

    def step(self, event: Event, attempt: Attempt | None) -> StepFacts:
        """The facts of the step ``attempt`` that ``event`` (``step.succeeded``) ended.

        Raises:
            NotReadyError: a committed table's profile is not recorded yet and may still
                be (the run is going on, and the event is recent).
        """
        assert event.run_id is not None and event.step is not None
        records = [r for r in RunRepo(self.store).steps(event.run_id) if r.step == event.step]
        number = attempt.number if attempt is not None else len(records)
        # Each attempt records its step run in the transaction that appends its start.
        record = records[number - 1] if 0 < number <= len(records) else None
        commits = attempt.latest_commits() if attempt is not None else []
        env = self.env(event.run_id)
        profiles: dict[str, StoredProfile] = {}
        missing = False
        for commit in commits:
            profile = self.profile(env, commit.table, commit.version)
            if profile is not None:
                profiles[commit.table] = profile
            elif not commit.table.endswith(QUARANTINE_SUFFIX):
                missing = True  # quarantine tables are not profiled
        if missing and self._may_still_profile(event):
            raise NotReadyError(f"the profile of step {event.step}'s commit is not recorded yet")
        inputs = dict((record.metrics.get("inputs") or {}) if record else {})
        checks = [
            c
            for c in CheckRepo(self.store).for_run(event.run_id)
            if c.step == event.step and (attempt is None or utc(c.checked_at) >= attempt.started)
        ]
        return StepFacts(record, commits, inputs, checks, profiles)

    def profile(self, env: str, table: str, version: int) -> StoredProfile | None:
        """The profile recorded for ``table`` at Delta ``version``, if any."""
        for profile in ProfileRepo(self.store).history(env, table, limit=PROFILE_HISTORY):
            if profile.delta_version == version:
                return profile
        return None

    def _may_still_profile(self, event: Event) -> bool:
        age = (datetime.now(UTC) - event.time).total_seconds()
        if age > self.profile_wait:
            return False
        run = self.run(event.run_id, fresh=True) if event.run_id else None
        return run is not None and run.status not in TERMINAL


def check_specs(pipeline: Pipeline | None, step: Any, table: str) -> Mapping[str, Any]:
    """The specs of the checks that may have run on ``table`` in ``step``, by check name:
    the table's own checks (run on every write) and the step's."""
    found: dict[str, Any] = {}
    if pipeline is not None:
        meta = pipeline.tables.get(table)
        for check in getattr(meta, "checks", None) or []:
            found[check.name] = check
    for check in getattr(step, "checks", None) or []:
        found[check.name] = check
    return found
