"""``sluiceway --help`` must stay fast: no service or driver is imported to print it."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "jinja2",
    "yaml",
    "psycopg",
    "sqlglot",
    "croniter",
    "rich",
)


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys, json\n"
        "from sluiceway.cli.main import run\n"
        "try:\n"
        "    run(['--help'])\n"
        "finally:\n"
        "    print(json.dumps(sorted(m for m in sys.modules if '.' not in m)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "Usage" in done.stdout
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), f"--help imported {sorted(loaded & set(HEAVY))}"


def test_every_command_is_listed_in_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sluiceway.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("init", "validate", "schema", "pipelines", "events"):
        assert command in done.stdout
