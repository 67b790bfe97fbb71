"""``sluiceway init``: the example project lands complete, and nothing is overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluiceway.cli.main import run
from sluiceway.errors import UsageError
from sluiceway.scaffold import EXAMPLE, scaffold

REPO = Path(__file__).resolve().parents[3]


def test_examples_shop_is_the_scaffold() -> None:
    assert (REPO / "examples" / "shop").resolve() == EXAMPLE.resolve()


def test_scaffold_copies_every_file_of_the_example(tmp_path: Path) -> None:
    result = scaffold(tmp_path / "shop", with_data=False)
    expected = sorted(
        p.relative_to(EXAMPLE)
        for p in EXAMPLE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert result.files == expected
    assert (tmp_path / "shop" / "sluiceway.yaml").read_text() == (
        EXAMPLE / "sluiceway.yaml"
    ).read_text()
    assert result.data is None
    assert not (tmp_path / "shop" / "landing").exists()


def test_scaffold_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        scaffold(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_init_command_creates_a_valid_project_with_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "shop"
    assert run(["init", str(target), "--days", "2"]) == 0
    out = capsys.readouterr().out
    assert "landing/: 6 sample files" in out
    assert sorted(p.name for p in (target / "landing" / "orders").iterdir()) == [
        "orders_2026-11-01.csv",
        "orders_2026-11-02.csv",
    ]
    assert run(["--project", str(target), "validate"]) == 0
    assert run(["--project", str(target), "events", "--json"]) == 0
    assert "project.initialized" in capsys.readouterr().out


def test_init_into_a_non_empty_folder_is_one_red_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x").write_text("")
    assert run(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err
    assert len(err.strip().splitlines()) == 1
