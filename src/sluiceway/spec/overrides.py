"""Layered settings: the file, then the selected environment's section, then variables.

``SLUICEWAY_<FIELD>`` overrides a top-level setting and ``__`` goes one level down
(``SLUICEWAY_DEFAULTS__RETRIES=5``). The variables are checked against the settings model,
so a misspelt one is reported instead of silently doing nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel

from sluiceway.spec.problems import Problem, did_you_mean, format_path
from sluiceway.spec.pydantic_errors import model_at
from sluiceway.spec.settings import ProjectSettings
from sluiceway.spec.yamlpos import Path, Positions

PREFIX = "SLUICEWAY_"
CLI_VARIABLES = frozenset({"SLUICEWAY_PROJECT", "SLUICEWAY_ENV"})
"""Variables that are CLI options, not settings; never reported as unknown."""
DEFAULT_ENV = "prod"


def setting_variables() -> dict[str, Path]:
    """Every variable that overrides a setting, and the setting's path."""
    found: dict[str, Path] = {}

    def walk(model: type[BaseModel], path: Path) -> None:
        for name in model.model_fields:
            if not path and name == "environments":
                continue
            target = model_at(model, (name,))
            members = [a for a in get_args(target) if isinstance(a, type)] or [target]
            sub = next(
                (m for m in members if isinstance(m, type) and issubclass(m, BaseModel)), None
            )
            if sub is not None:
                walk(sub, (*path, name))
            else:
                key = PREFIX + "__".join(str(p).upper() for p in (*path, name))
                found[key] = (*path, name)

    walk(ProjectSettings, ())
    return found


@dataclass
class Layered:
    """Settings data with overrides applied, its positions, and which paths came from variables."""

    data: dict[str, Any]
    positions: Positions
    variables: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def cite_variables(self, problems: list[Problem]) -> list[Problem]:
        """Point problems in settings that came from a variable at the variable."""
        cited = []
        for problem in problems:
            for name, path in self.variables.items():
                dotted = format_path(path)
                if problem.field == dotted or problem.field.startswith(dotted + "."):
                    problem = replace(
                        problem, file=f"environment variable {name}", line=None, column=None
                    )
                    break
            cited.append(problem)
        return cited


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _parse(value: str, path: Path) -> Any:
    if value.lstrip().startswith(("[", "{")):
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    target = model_at(ProjectSettings, path)
    if get_origin(target) is list:
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def layer(
    data: dict[str, Any], positions: Positions, env: str, environ: Mapping[str, str]
) -> Layered:
    """Apply the ``env`` section of ``environments:`` and then ``SLUICEWAY_*`` variables."""
    merged = copy.deepcopy(data)
    moved = Positions(dict(positions.values), dict(positions.keys))
    section = (data.get("environments") or {}).get(env) if isinstance(data, dict) else None
    if isinstance(section, dict):
        _merge(merged, section)
        prefix = ("environments", env)
        for table, target in ((positions.values, moved.values), (positions.keys, moved.keys)):
            for path, mark in table.items():
                if path[:2] == prefix and len(path) > 2:
                    target[path[2:]] = mark
    result = Layered(merged, moved)
    known = setting_variables()
    for name in sorted(environ):
        if not name.startswith(PREFIX) or name in CLI_VARIABLES:
            continue
        wanted = known.get(name)
        if wanted is None:
            result.problems.append(
                Problem(
                    f"environment variable {name}",
                    None,
                    None,
                    "",
                    None,
                    "not a Sluiceway setting",
                    did_you_mean(name, known) or "unset it, or see docs/projects.md",
                )
            )
            continue
        path = wanted
        node = merged
        for part in map(str, path[:-1]):
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[str(path[-1])] = _parse(environ[name], path)
        result.variables[name] = path
    return result
