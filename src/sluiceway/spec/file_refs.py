"""References from steps to files: SQL files, Python functions, contract files.

User Python is read with :mod:`ast`, never imported: validating a project must not run its
code. Every lookup is cached per file, so a 1,000-row template checks each file once.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from sluiceway.spec.problems import Problem, did_you_mean
from sluiceway.spec.pydantic_errors import problems_from_error
from sluiceway.spec.sources import Contract, FilesSource
from sluiceway.spec.steps import IngestStep, PythonStep, SqlStep
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
    """SQL files exist, Python functions are defined, contract files exist and are valid."""
    found: list[Found] = []
    for index, step in unit.steps:
        base = ("steps", index)
        if isinstance(step, SqlStep) and step.sql is not None:
            if not _relative(step.sql) or step.sql not in files.sql:
                hint = did_you_mean(step.sql, files.sql) or "paths are relative to the project root"
                found.append(
                    unit.problem((*base, "sql"), step.sql, f"SQL file '{step.sql}' not found", hint)
                )
        elif isinstance(step, PythonStep):
            found += _function(unit, (*base, "function"), step, files)
        elif isinstance(step, IngestStep) and isinstance(step.source, FilesSource):
            contract = step.source.contract
            if isinstance(contract, str):
                path = (*base, "source", "contract")
                if not _relative(contract) or contract not in files.yaml:
                    hint = (
                        did_you_mean(contract, files.yaml)
                        or "paths are relative to the project root"
                    )
                    found.append(
                        unit.problem(path, contract, f"contract file '{contract}' not found", hint)
                    )
                else:
                    found += [(p, None) for p in files.contract(contract)]
    return found


def _function(
    unit: Unit, path: tuple[str | int, ...], step: PythonStep, files: ProjectFiles
) -> list[Found]:
    module, name = step.module_file, step.function_name
    if module not in files.python:
        hint = did_you_mean(module, files.python) or "the file goes in the project's python/ folder"
        return [unit.problem(path, step.function, f"python/{module} not found", hint)]
    defined = files.functions(module)
    if isinstance(defined, str):
        return [unit.problem(path, step.function, defined)]
    if name not in defined:
        hint = did_you_mean(name, defined) or "define it at the top level of the file"
        return [
            unit.problem(path, step.function, f"python/{module} defines no function '{name}'", hint)
        ]
    return []
