"""Generate ``docs/reference/cli.md`` from the Typer app, so the reference cannot drift.

Run ``python -m sluiceway.cli.reference_doc > docs/reference/cli.md``; a test fails when the
committed file differs from what this prints.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup, TyperOption
from typer.models import Context

HEADER = """# CLI reference

Generated from the command definitions by
`python -m sluiceway.cli.reference_doc > docs/reference/cli.md`; do not edit by hand.

Global options come before the command: `sluiceway [--project DIR] [--env ENV] [--debug] COMMAND`.
Known errors print one red line and exit non-zero (2 for invalid input); `--debug` adds the
traceback.
"""


def render(app: typer.Typer) -> str:
    """The Markdown reference of every command of ``app``, in alphabetical order."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    parts = [HEADER, _section("sluiceway", group, level=2, global_options=True)]
    ctx = Context(group, info_name="sluiceway")
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        parts.append(_section(f"sluiceway {name}", command, level=2))
    return "\n".join(parts).rstrip() + "\n"


def _section(title: str, command: Any, *, level: int, global_options: bool = False) -> str:
    lines = [f"{'#' * level} `{title}`", ""]
    help_text = (command.help or "").strip()
    if help_text:
        lines += [help_text.split("\n\n")[0].replace("\n", " "), ""]
    usage_ctx = Context(command, info_name=title)
    pieces = command.collect_usage_pieces(usage_ctx)
    lines += ["```", f"{title} {' '.join(pieces)}".rstrip(), "```", ""]
    rows = [
        row
        for param in command.params
        if not getattr(param, "hidden", False) and (row := _param_row(param)) is not None
    ]
    if rows:
        heading = "Global options" if global_options else "Arguments and options"
        lines += [f"{heading}:", "", "| name | type | default | description |", "|---|---|---|---|"]
        lines += rows
        lines.append("")
    return "\n".join(lines)


def _param_row(param: Any) -> str | None:
    if param.name == "help":
        return None
    if isinstance(param, TyperOption):
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        description = param.help or ""
    else:
        names = f"`{(param.name or '').upper()}`"
        description = getattr(param, "help", "") or ""
    kind = "flag" if getattr(param, "is_flag", False) else _type_name(param)
    default = param.default
    shown = "" if default is None or callable(default) else f"`{default}`"
    if isinstance(param, TyperOption) and isinstance(param.show_default, str):
        shown = param.show_default
    if param.multiple:
        kind = f"{kind} (repeatable)"
    return f"| {names} | {kind} | {shown} | {description.replace('|', '/')} |"


def _type_name(param: Any) -> str:
    annotation = param.type_descriptor.annotation
    name = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
    return str(name).replace(" | None", "").replace("Path", "path").replace("str", "text")


if __name__ == "__main__":
    from sluiceway.cli.main import app

    print(render(app), end="")
