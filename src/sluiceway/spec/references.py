"""Cross-references between pipelines, steps, tables and layers, checked over the project.

These are the checks a single model cannot do: a table's layer is configured, each table is
written by one step only, what a trigger, a check or an input reads is written somewhere,
``depends_on`` names real steps. Each problem points at the line that names the reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sluiceway.spec.checks import Relationships
from sluiceway.spec.problems import did_you_mean
from sluiceway.spec.steps import CheckStep, PublishStep, PythonStep
from sluiceway.spec.triggers import TablesTrigger
from sluiceway.spec.units import Found, Unit

SYSTEM_LAYER = "_system"
SYSTEM_TABLES = tuple(
    f"{SYSTEM_LAYER}.{name}"
    for name in ("events", "runs", "step_runs", "check_results", "metrics", "sla_states")
)
"""The tables the platform exports its metadata to (``sluiceway.observe.system_tables``):
readable by every pipeline and query, writable by none."""


def _layer_hint(layer: str, layers: Sequence[str]) -> str:
    return did_you_mean(layer, layers) or f"layers are {', '.join(layers)} (sluiceway.yaml)"


def _read(unit: Unit, path: tuple[str | int, ...], table: str, written: set[str]) -> list[Found]:
    if table in written or table.split(".", 1)[0] == SYSTEM_LAYER:
        return []
    hint = did_you_mean(table, written) or "no step in the project writes it"
    return [unit.problem(path, table, f"table '{table}' is not written by any step", hint)]


def check_steps(unit: Unit, layers: Sequence[str], written: set[str]) -> list[Found]:
    """Layers, step names, ``depends_on``, tables read by checks, inputs and publish steps."""
    found: list[Found] = []
    names = [n for n in unit.step_names if isinstance(n, str)]
    seen: set[str] = set()
    for index, step in unit.steps:
        base = ("steps", index)
        if step.name in seen:
            found.append(
                unit.problem((*base, "name"), step.name, f"step '{step.name}' is defined twice")
            )
        seen.add(step.name)
        if step.writes:
            layer = step.writes.split(".", 1)[0]
            if layer not in layers:
                found.append(
                    unit.problem(
                        (*base, "table"),
                        step.writes,
                        f"unknown layer '{layer}'",
                        _layer_hint(layer, layers),
                    )
                )
        for number, dep in enumerate(step.depends_on):
            if dep == step.name or dep not in names:
                why = "a step cannot depend on itself" if dep == step.name else None
                hint = why or did_you_mean(dep, names) or f"steps: {', '.join(names)}"
                found.append(
                    unit.problem(
                        (*base, "depends_on", number),
                        dep,
                        f"no step '{dep}' in this pipeline",
                        hint,
                    )
                )
        if isinstance(step, CheckStep | PublishStep):
            found += _read(unit, (*base, "table"), step.table, written)
        if isinstance(step, PythonStep):
            for number, table in enumerate(step.inputs):
                found += _read(unit, (*base, "inputs", number), table, written)
        found += _checks(unit, base, step.checks, written)
    return found


def _checks(
    unit: Unit, base: tuple[str | int, ...], checks: Iterable[object], written: set[str]
) -> list[Found]:
    found: list[Found] = []
    seen: set[str] = set()
    for number, check in enumerate(checks):
        path = (*base, "checks", number)
        name = str(getattr(check, "name", ""))
        if name in seen:
            found.append(
                unit.problem(
                    path, name, f"two checks are named '{name}'", "give one of them a distinct name"
                )
            )
        seen.add(name)
        if isinstance(check, Relationships):
            found += _read(unit, (*path, "to"), check.to, written)
    return found


def check_pipeline(unit: Unit, layers: Sequence[str], written: set[str]) -> list[Found]:
    """Table metadata keys and ``on: tables`` triggers of one pipeline."""
    found: list[Found] = []
    own = unit.written()
    for key in unit.table_keys:
        if key not in own:
            hint = did_you_mean(key, own) or (
                f"this pipeline writes {', '.join(sorted(own))}" if own else None
            )
            found.append(
                unit.problem(
                    ("tables", key),
                    key,
                    f"'{key}' is not written by a step of this pipeline",
                    hint,
                    key=True,
                )
            )
    for table, checks in unit.table_checks:
        found += _checks(unit, ("tables", table), checks, written)
    for index, trigger in unit.triggers:
        if isinstance(trigger, TablesTrigger):
            for number, table in enumerate(trigger.tables):
                found += _read(unit, ("on", index, "tables", number), table, written)
    return found


def _listing(items: Iterable[str], limit: int = 4) -> str:
    shown = sorted(set(items))
    return ", ".join(shown[:limit]) + (
        f" and {len(shown) - limit} more" if len(shown) > limit else ""
    )


def check_writers(units: Iterable[Unit]) -> list[Found]:
    """Each table is written by exactly one step in the whole project."""
    writers: dict[str, list[tuple[Unit, int, str]]] = defaultdict(list)
    for unit in units:
        for index, step in unit.steps:
            if step.writes:
                writers[step.writes].append((unit, index, f"{unit.name}.{step.name}"))
    found: list[Found] = []
    for table, places in writers.items():
        if len(places) < 2:
            continue
        message = f"table '{table}' is written by {len(places)} steps: " + _listing(
            label for _, _, label in places
        )
        for unit, index, _ in places:
            hint = "a table has one writer; give the others other tables"
            found.append(unit.problem(("steps", index, "table"), table, message, hint))
    return found


def check_names(units: Iterable[Unit]) -> list[Found]:
    """Pipeline names are unique across the project, after templates are rendered."""
    by_name: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        if unit.name:
            by_name[unit.name].append(unit)
    found: list[Found] = []
    for name, owners in by_name.items():
        if len(owners) < 2:
            continue
        files = _listing(u.origin.file for u in owners)
        message = f"pipeline name '{name}' is used by {len(owners)} pipelines (in {files})"
        for unit in owners:
            hint = (
                "a template's name needs a variable, e.g. name: ingest_{{ source }}"
                if unit.origin.is_template
                else "pipeline names are unique in a project"
            )
            found.append(unit.problem(("name",), name, message, hint))
    return found
