from __future__ import annotations

from sluiceway.spec.yamlpos import Mark, load_yaml


def test_positions_of_keys_and_values() -> None:
    data, positions, issues = load_yaml("name: x\nsteps:\n  - name: a\n    type: sql\n")
    assert issues == []
    assert data == {"name": "x", "steps": [{"name": "a", "type": "sql"}]}
    assert positions.key(("steps",)) == Mark(2, 1)
    assert positions.value(("steps", 0)) == Mark(3, 5)
    assert positions.value(("steps", 0, "type")) == Mark(4, 11)
    assert positions.key(("steps", 0, "type")) == Mark(4, 5)
    # a path that does not exist falls back to its nearest ancestor
    assert positions.value(("steps", 0, "missing")) == Mark(3, 5)


def test_yaml_12_scalars_on_is_a_key_not_true() -> None:
    data, _, _ = load_yaml("on: [a]\nyes: no\nt: 6:00\nd: 2024-01-01\nn: ~\nb: false\nh: 0x1f\n")
    assert data == {
        "on": ["a"],
        "yes": "no",
        "t": "6:00",
        "d": "2024-01-01",
        "n": None,
        "b": False,
        "h": 31,
    }


def test_syntax_error_is_an_issue_with_its_mark() -> None:
    data, _, issues = load_yaml("name: x\nsteps: [a,\n")
    assert data is None
    (issue,) = issues
    assert issue.message.startswith("invalid YAML:")
    assert issue.mark.line == 3


def test_duplicate_keys_are_reported_and_the_first_is_kept() -> None:
    data, _, issues = load_yaml("a: 1\nb: 2\na: 3\n")
    assert data == {"a": 1, "b": 2}
    (issue,) = issues
    assert issue.mark == Mark(3, 1)
    assert "duplicate key 'a' (first at line 1)" in issue.message


def test_anchors_and_merge_keys() -> None:
    data, _, issues = load_yaml("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert issues == []
    assert data["other"] == {"x": 1, "y": 2}


def test_syntax_error_and_duplicates_through_load_project(make_project, problems_of) -> None:
    root = make_project(
        {
            "pipelines/a.yaml": "name: a\nsteps: [\n",
            "pipelines/b.yaml": (
                "name: b\nname: c\nsteps:\n  - {name: s, type: sql, query: q, table: raw.b}\n"
            ),
        }
    )
    problems = problems_of(root)
    assert [(p.file, p.line) for p in problems] == [
        ("pipelines/a.yaml", 3),
        ("pipelines/b.yaml", 2),
    ]
    assert "duplicate key 'name'" in problems[1].message
