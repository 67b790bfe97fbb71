"""The example of docs/lineage.md runs and prints what the page says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PAGE = Path(__file__).resolve().parents[3] / "docs" / "lineage.md"
_EXAMPLE = re.compile(
    r"^## An example\n.*?^```python\n(?P<code>.*?)^```\n\n^```text\n(?P<output>.*?)^```",
    re.S | re.M,
)


def test_the_lineage_example_prints_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _EXAMPLE.search(PAGE.read_text(encoding="utf-8"))
    assert found, "docs/lineage.md has no '## An example' with its code and output"
    monkeypatch.chdir(tmp_path)  # the example writes ./shop
    for name in ("SLUICEWAY_LAKE", "SLUICEWAY_METADATA", "SLUICEWAY_LANDING"):
        monkeypatch.delenv(name, raising=False)
    exec(compile(found["code"], str(PAGE), "exec"), {"__name__": "__example__"})
    assert capsys.readouterr().out == found["output"]
