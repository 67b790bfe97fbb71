"""The rows of a template: a ``matrix:`` list in the file, or a ``parameters:`` CSV file.

Rows are checked before expansion — a ragged CSV line or a row key that Jinja cannot name
is reported at its own line, in the CSV or in the matrix, rather than as a puzzling render
error later.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluiceway.spec.problems import Location, Problem, did_you_mean
from sluiceway.spec.yamlpos import Positions

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = frozenset({"params"})


@dataclass
class Rows:
    """Rows of a template with where each one is, and the problems found reading them."""

    values: list[dict[str, Any]] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _check_names(names: list[str], where: Location, rows: Rows) -> bool:
    ok = True
    for name in names:
        if not _NAME.match(name) or name in _RESERVED:
            why = "is reserved" if name in _RESERVED else "is not a variable name Jinja can use"
            rows.problems.append(
                Problem.at(
                    where,
                    f"template variable '{name}' {why}",
                    value=name,
                    hint="use letters, digits and _, e.g. source_name",
                )
            )
            ok = False
    return ok


def matrix_rows(matrix: Any, positions: Positions, file: str) -> Rows:
    """Rows from a ``matrix:`` value: a non-empty list of mappings."""
    rows = Rows()
    mark = positions.value(("matrix",))
    if not isinstance(matrix, list) or not matrix:
        rows.problems.append(
            Problem.at(
                Location(file, mark.line, mark.column),
                "expected a non-empty list of rows, each a mapping of variables",
                field="matrix",
            )
        )
        return rows
    for index, row in enumerate(matrix):
        at = positions.value(("matrix", index))
        where = Location(file, at.line, at.column)
        if not isinstance(row, dict):
            rows.problems.append(
                Problem.at(
                    Location(file, at.line, at.column),
                    "a row is a mapping of variables, e.g. {source: orders}",
                    field=f"matrix[{index}]",
                )
            )
        elif _check_names(list(row), where, rows):
            rows.values.append(row)
            rows.locations.append(where)
    return rows


def csv_rows(
    reference: Any, positions: Positions, file: str, root: Path, csv_files: list[str]
) -> Rows:
    """Rows from the CSV file named by ``parameters:``, relative to the project root."""
    rows = Rows()
    mark = positions.value(("parameters",))
    if not isinstance(reference, str):
        rows.problems.append(
            Problem.at(
                Location(file, mark.line, mark.column),
                "expected the path of a CSV file, e.g. params/sources.csv",
                field="parameters",
            )
        )
        return rows
    path = root / reference
    if not path.is_file():
        rows.problems.append(
            Problem.at(
                Location(file, mark.line, mark.column),
                f"parameter file '{reference}' not found",
                field="parameters",
                value=reference,
                hint=did_you_mean(reference, csv_files) or "paths are relative to the project root",
            )
        )
        return rows
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            rows.problems.append(Problem(reference, 1, 1, "", None, "the CSV file has no header"))
            return rows
        names = [name.strip() for name in header]
        if not _check_names(names, Location(reference, 1, 1), rows):
            return rows
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                rows.problems.append(
                    Problem.at(
                        Location(reference, line, 1),
                        f"line has {len(record)} values but the header has {len(names)}",
                        hint="quote values that contain commas",
                    )
                )
                continue
            rows.values.append(dict(zip(names, record, strict=True)))
            rows.locations.append(Location(reference, line, 1))
    if not rows.values and not rows.problems:
        rows.problems.append(Problem(reference, 1, 1, "", None, "the CSV file has no rows"))
    return rows
