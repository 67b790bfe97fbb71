"""Writing suggested checks into a pipeline file, keeping its comments, order and layout.

The file is edited round-trip (ruamel.yaml): only ``tables: <table>: checks:`` changes, the
new checks appended in flow style after any the table already had. A table written by a
template is refused: its checks would apply to every row of the template, and which of them
should have them is the user's call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sluiceway.spec.project import Project


def add_checks(project: Project, table: str, checks: Sequence[Mapping[str, Any]]) -> str:
    """Append ``checks`` to ``table``'s section of the pipeline file that writes it.

    Returns:
        The file's path, relative to the project.

    Raises:
        UsageError: no pipeline writes the table, or a template does.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    written = project.tables_written().get(table)
    if written is None:
        raise UsageError(
            f"no pipeline of the project writes {table}",
            hint="add the printed checks to the tables: section of its pipeline by hand",
        )
    pipeline, _ = written
    origin = pipeline.origin
    if origin.is_template:
        raise UsageError(
            f"{table} is written by the template {origin.file} ({origin.label})",
            hint="the checks would apply to every row of the template; add them by hand, "
            "under tables: with the table's name templated",
        )
    path = project.root / origin.file
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    document = yaml.load(path.read_text(encoding="utf-8"))
    tables = document.setdefault("tables", CommentedMap())
    entry = tables.setdefault(table, CommentedMap())
    if entry is None:
        entry = tables[table] = CommentedMap()
    listed = entry.setdefault("checks", CommentedSeq())
    for check in checks:
        item = CommentedMap(check)
        item.fa.set_flow_style()
        for key, value in item.items():
            if isinstance(value, list):
                flow = CommentedSeq(value)
                flow.fa.set_flow_style()
                item[key] = flow
        listed.append(item)
    with Path(path).open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
    return origin.file
