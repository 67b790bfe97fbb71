"""References from steps to files: SQL files, Python functions, contract files.

User Python is read with :mod:`ast`, never imported: validating a project must not run its
code. Every lookup is cached per file, so a 1,000-row template checks each file once.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from sluiceway.spec.problems import Problem, did_you_mean
from sluiceway.spec.pydantic_errors import problems_from_error
from sluiceway.spec.sources import Contract, FilesSource
from sluiceway.spec.steps import FUNCTION_REF, IngestStep, PythonStep, SqlStep
from sluiceway.spec.units import Found, Unit
from sluiceway.spec.yamlpos import load_yaml


def _relative(text: str) -> bool:
    path = PurePosixPath(text)
    return not path.is_absolute() and ".." not in path.parts


@dataclass
class ProjectFiles:
    """The project's files, listed once, and what was learnt from reading them."""

    root: Path
    sql: list[str] = field(default_factory=list)
    python: list[str] = field(default_factory=list)
    yaml: list[str] = field(default_factory=list)
    csv: list[str] = field(default_factory=list)
    _functions: dict[str, set[str] | str] = field(default_factory=dict)
    _contracts: dict[str, list[Problem]] = field(default_factory=dict)

    @classmethod
    def scan(cls, root: Path, skip: Iterable[Path] = ()) -> ProjectFiles:
        """List SQL, Python, YAML and CSV files under ``root`` as posix relative paths.

        Hidden folders and ``skip`` (the local lake and landing zone, which may hold
        millions of data files) are not walked.
        """
        files = cls(root)
        pruned = {p.resolve() for p in skip}
        for folder, dirs, names in os.walk(root):
            here = Path(folder)
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".")
                and d != "__pycache__"
                and (here / d).resolve() not in pruned
            )
            for name in sorted(names):
                relative = (here / name).relative_to(root).as_posix()
                suffix = PurePosixPath(name).suffix
                if suffix == ".sql":
                    files.sql.append(relative)
                elif suffix == ".py" and relative.startswith("python/"):
                    files.python.append(relative.removeprefix("python/"))
                elif suffix in (".yaml", ".yml"):
                    files.yaml.append(relative)
                elif suffix == ".csv":
                    files.csv.append(relative)
        return files

    def functions(self, module: str) -> set[str] | str:
        """Top-level function names of ``python/<module>``, or why it cannot be read."""
        if module not in self._functions:
            path = self.root / "python" / module
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            except SyntaxError as exc:
                self._functions[module] = (
                    f"python/{module} does not parse: line {exc.lineno}: {exc.msg}"
                )
            else:
                self._functions[module] = {
                    node.name
                    for node in tree.body
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                }
        return self._functions[module]

    def contract(self, reference: str) -> list[Problem]:
        """Problems of the contract file ``reference`` (empty when it is valid)."""
        if reference not in self._contracts:
            text = (self.root / reference).read_text(encoding="utf-8")
            data, positions, issues = load_yaml(text)
            problems = [
                Problem(reference, i.mark.line, i.mark.column, "", i.value, i.message)
                for i in issues
            ]
            if not issues:
                try:
                    Contract.model_validate(data)
                except ValidationError as exc:
                    problems += problems_from_error(exc, data, positions, reference, Contract)
            self._contracts[reference] = problems
        return self._contracts[reference]


def check_files(unit: Unit, files: ProjectFiles) -> list[Found]:
    """SQL files exist, Python functions are defined, contract files exist and are valid.

    Steps that failed validation are checked too, from what was written, so a missing file
    is reported in the same pass as a bad value elsewhere in its step.
    """
    found: list[Found] = []
    for index, step in unit.steps:
        base = ("steps", index)
        if isinstance(step, SqlStep) and step.sql is not None:
            found += _sql_file(unit, (*base, "sql"), step.sql, files)
        elif isinstance(step, PythonStep):
            found += _function(unit, (*base, "function"), step.function, files)
        elif isinstance(step, IngestStep) and isinstance(step.source, FilesSource):
            found += _contract(unit, (*base, "source", "contract"), step.source.contract, files)
    for index, raw in unit.invalid_steps:
        base = ("steps", index)
        kind, source = raw.get("type"), raw.get("source")
        if kind == "sql" and isinstance(raw.get("sql"), str):
            found += _sql_file(unit, (*base, "sql"), raw["sql"], files)
        elif kind == "python" and _is_function_ref(raw.get("function")):
            found += _function(unit, (*base, "function"), raw["function"], files)
        elif kind == "ingest" and isinstance(source, dict) and source.get("type") == "files":
            found += _contract(unit, (*base, "source", "contract"), source.get("contract"), files)
    return found


def _is_function_ref(value: object) -> bool:
    """``file.py:name``, the shape the model accepts (anything else is its own problem)."""
    return isinstance(value, str) and re.fullmatch(FUNCTION_REF, value) is not None


def _sql_file(
    unit: Unit, path: tuple[str | int, ...], sql: str, files: ProjectFiles
) -> list[Found]:
    if _relative(sql) and sql in files.sql:
        return []
    hint = did_you_mean(sql, files.sql) or "paths are relative to the project root"
    return [unit.problem(path, sql, f"SQL file '{sql}' not found", hint)]


def _contract(
    unit: Unit, path: tuple[str | int, ...], contract: object, files: ProjectFiles
) -> list[Found]:
    """Problems of a contract given as a file reference (an inline contract has none here)."""
    if not isinstance(contract, str):
        return []
    if not _relative(contract) or contract not in files.yaml:
        hint = did_you_mean(contract, files.yaml) or "paths are relative to the project root"
        return [unit.problem(path, contract, f"contract file '{contract}' not found", hint)]
    return [(p, None) for p in files.contract(contract)]


def _function(
    unit: Unit, path: tuple[str | int, ...], function: str, files: ProjectFiles
) -> list[Found]:
    module, name = function.rsplit(":", 1)
    if module not in files.python:
        hint = did_you_mean(module, files.python) or "the file goes in the project's python/ folder"
        return [unit.problem(path, function, f"python/{module} not found", hint)]
    defined = files.functions(module)
    if isinstance(defined, str):
        return [unit.problem(path, function, defined)]
    if name not in defined:
        hint = did_you_mean(name, defined) or "define it at the top level of the file"
        return [unit.problem(path, function, f"python/{module} defines no function '{name}'", hint)]
    return []
