"""The committed CLI reference is what the command definitions generate."""

from __future__ import annotations

from pathlib import Path

from sluiceway.cli.main import app
from sluiceway.cli.reference_doc import render

DOC = Path(__file__).resolve().parents[3] / "docs" / "reference" / "cli.md"


def test_cli_reference_is_current() -> None:
    generated = render(app)
    assert DOC.read_text() == generated, (
        "docs/reference/cli.md is stale: run `make docs` "
        "(python -m sluiceway.cli.reference_doc > docs/reference/cli.md)"
    )


def test_reference_names_every_command() -> None:
    generated = render(app)
    for command in ("init", "validate", "schema", "pipelines", "events"):
        assert f"## `sluiceway {command}`" in generated
