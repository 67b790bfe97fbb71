"""``sluiceway system-tables``: the tables, their size and backlog; ``--export`` runs a pass."""

from __future__ import annotations

import json

import pytest
import typer

from sluiceway.cli import main as cli_main
from sluiceway.cli import system_cmd
from sluiceway.cli.context import state

from .conftest import SystemProject


def _cli(project: SystemProject, *args: str) -> tuple[int, str, str]:
    """Run the command as ``sluiceway --project ROOT system-tables ARGS`` would.

    Until the command is registered in ``cli/main.py``, an app with the same global options
    and only this command stands in for it.
    """
    names = {c.name for c in cli_main.app.registered_commands}
    if "system-tables" in names:
        return project.cli("system-tables", *args)
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    app.callback()(cli_main.main)
    system_cmd.register(app)
    project.capsys.readouterr()
    code = 0
    try:
        app(args=["--project", str(project.root), "system-tables", *args], prog_name="sluiceway")
    except SystemExit as exc:
        code = int(exc.code or 0)
    except system_cmd.ExportFailedError as exc:
        from sluiceway.cli.render import error_line

        error_line(str(exc))
        code = exc.exit_code
    finally:
        state.close()
    out, err = project.capsys.readouterr()
    return code, out, err


def test_lists_every_table_with_its_rows_and_backlog(system_project: SystemProject) -> None:
    p = system_project
    p.run("good")
    code, out, _ = _cli(p, "--json")
    assert code == 0
    listed = {t["table"]: t for t in json.loads(out)["tables"]}
    assert set(listed) == {
        "_system.events",
        "_system.runs",
        "_system.step_runs",
        "_system.check_results",
        "_system.metrics",
        "_system.sla_states",
    }
    events = listed["_system.events"]
    assert events["rows"] is None and events["pending"] == len(p.store.events.tail(10_000))

    code, out, _ = _cli(p, "--export", "--json")
    assert code == 0
    document = json.loads(out)
    exported = {t["table"]: t for t in document["export"]["tables"]}
    assert exported["_system.runs"]["rows"] == 1
    listed = {t["table"]: t for t in document["tables"]}
    assert listed["_system.events"]["pending"] == 0
    assert listed["_system.events"]["rows"] == exported["_system.events"]["rows"]
    assert listed["_system.runs"]["rows"] == 1 and listed["_system.runs"]["last_export"]


def test_export_prints_what_it_did(system_project: SystemProject) -> None:
    p = system_project
    p.run("bad")
    code, out, _ = _cli(p, "--export")
    assert code == 0
    assert "_system.runs" in out and "rows exported in" in out
    code, out, _ = _cli(p, "--export")
    assert "0 rows exported" in out


def test_a_table_that_fails_to_export_makes_the_command_fail(
    system_project: SystemProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sluiceway.observe.system import sources

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("store went away")

    monkeypatch.setattr(sources.FactSource, "after", unreachable)
    code, _, err = _cli(system_project, "--export")
    assert code == 1
    assert "could not be exported" in err and "store went away" in err
