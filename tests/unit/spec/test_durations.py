from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from sluiceway.spec.durations import Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", timedelta(milliseconds=500)),
        ("10s", timedelta(seconds=10)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("1w", timedelta(weeks=1)),
        ("1.5h", timedelta(minutes=90)),
        (" 10 s ", timedelta(seconds=10)),
        ("90", timedelta(seconds=90)),
        (90, timedelta(seconds=90)),
        (timedelta(seconds=3), timedelta(seconds=3)),
    ],
)
def test_parse_duration(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["10x", "ten seconds", "", "-5s", -1, True, None, [1]])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match=r"not a duration|negative"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=2), "2h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(milliseconds=1500), "1500ms"),
        (timedelta(days=14), "2w"),
        (timedelta(0), "0s"),
    ],
)
def test_format_duration_round_trips(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


class _Model(BaseModel):
    timeout: Duration


def test_duration_type_in_a_model() -> None:
    model = _Model.model_validate({"timeout": "30m"})
    assert model.timeout == timedelta(minutes=30)
    assert model.model_dump(mode="json") == {"timeout": "30m"}
    with pytest.raises(ValidationError, match="write a number and a unit"):
        _Model.model_validate({"timeout": "soon"})


def test_duration_json_schema_accepts_strings_and_seconds() -> None:
    schema = _Model.model_json_schema()["properties"]["timeout"]
    assert {"type": "integer", "minimum": 0, "description": "seconds"} in schema["anyOf"]
