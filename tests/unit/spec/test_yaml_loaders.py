"""The libyaml parser and the pure-Python fallback read YAML identically, marks included."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluiceway.scaffold import EXAMPLE
from sluiceway.spec import yamlpos

FILES = sorted(p for p in EXAMPLE.rglob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXAMPLE)))
def test_fallback_parser_matches_libyaml(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if yamlpos._Loader is yamlpos._PyLoader:
        pytest.skip("PyYAML was built without libyaml: only the fallback exists here")
    text = path.read_text()
    fast = yamlpos.load_yaml(text)
    monkeypatch.setattr(yamlpos, "_Loader", yamlpos._PyLoader)
    slow = yamlpos.load_yaml(text)
    assert fast[0] == slow[0]
    assert fast[1].keys == slow[1].keys
    assert fast[1].values == slow[1].values


def test_syntax_error_position_is_the_same_with_both_parsers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "name: x\nsteps:\n  - name: a\n   type: sql\n"
    fast = yamlpos.load_yaml(text)[2]
    monkeypatch.setattr(yamlpos, "_Loader", yamlpos._PyLoader)
    slow = yamlpos.load_yaml(text)[2]
    assert [(i.mark.line, i.mark.column) for i in fast] == [
        (i.mark.line, i.mark.column) for i in slow
    ]
    assert fast and fast[0].message.startswith("invalid YAML")
