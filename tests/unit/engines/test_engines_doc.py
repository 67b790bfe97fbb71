"""The DuckDB example of docs/engines.md runs and prints what the page says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "engines.md"
_EXAMPLE = re.compile(
    r"^### An example\n.*?^```python\n(?P<code>.*?)^```\n\n^```text\n(?P<output>.*?)^```",
    re.S | re.M,
)


def test_the_duckdb_example_prints_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _EXAMPLE.search(PAGE.read_text(encoding="utf-8"))
    assert found, "docs/engines.md has no '### An example' with its code and output"
    monkeypatch.chdir(tmp_path)  # the example writes ./lake
    exec(compile(found["code"], str(PAGE), "exec"), {"__name__": "__example__"})
    assert capsys.readouterr().out == found["output"]
