"""Shared helpers: build a project from a dict of file texts in a temporary folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from sluiceway.cli import schema_cmd, validate_cmd
from sluiceway.cli.context import state
from sluiceway.spec import Problem, Project, SpecError, load_project

SETTINGS = """\
name: shop
environments:
  dev: {lake: ./lake-dev}
"""


def write_project(root: Path, files: dict[str, str], *, settings: str | None = SETTINGS) -> Path:
    """Write ``files`` (path → dedented text) under ``root``, plus a default sluiceway.yaml."""
    if settings is not None and "sluiceway.yaml" not in files:
        files = {"sluiceway.yaml": settings, **files}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """``make_project({"pipelines/a.yaml": "..."})`` → the project's root folder."""

    def make(files: dict[str, str], *, settings: str | None = SETTINGS) -> Path:
        return write_project(tmp_path / "project", files, settings=settings)

    return make


def _load(root: Path, **kwargs: Any) -> Project:
    kwargs.setdefault("environ", {})
    return load_project(root, **kwargs)


def _problems(root: Path, **kwargs: Any) -> list[Problem]:
    with pytest.raises(SpecError) as caught:
        _load(root, **kwargs)
    return caught.value.problems


@pytest.fixture
def load() -> Callable[..., Project]:
    """``load(root)``: load_project with an empty environment unless one is given."""
    return _load


@pytest.fixture
def problems_of() -> Callable[..., list[Problem]]:
    """``problems_of(root)``: the problems load_project reports (fails if there are none)."""
    return _problems


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke only this package's commands, with the global options main.py defines.

    The full CLI is tested through ``sluiceway.cli.main.run`` where it imports; this app
    keeps these commands testable on their own.
    """
    app = typer.Typer()

    @app.callback()
    def options(project: Path = Path(), env: str | None = None) -> None:
        monkeypatch.setattr(state, "project_dir", project.resolve())
        monkeypatch.setattr(state, "env", env)
        monkeypatch.setattr(state, "_project", None)

    validate_cmd.register(app)
    schema_cmd.register(app)
    for name in [n for n in os.environ if n.startswith("SLUICEWAY_")]:
        monkeypatch.delenv(name)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))
