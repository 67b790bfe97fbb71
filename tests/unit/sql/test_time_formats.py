"""DuckDB strftime/strptime formats → Spark datetime patterns."""

from __future__ import annotations

import pytest

from sluiceway.sql.translate.time_formats import UnsupportedDirective, to_spark_pattern


@pytest.mark.parametrize(
    ("fmt", "parsing", "pattern"),
    [
        ("%Y-%m-%d %H:%M:%S.%f", False, "yyyy-MM-dd HH:mm:ss.SSSSSS"),
        ("%Y-%m-%d %H:%M:%S", True, "yyyy-M-d H:m:s"),
        ("%I:%M %p, %a %-d %b", False, "hh:mm a, EEE d MMM"),
        ("%Y-%m-%dT%H", False, "yyyy-MM-dd'T'HH"),
        ("it's %Y", False, "'it''s 'yyyy"),
        ("[%Y] #%j {x}", False, "'['yyyy'] #'DDD' {x}'"),
        ("100%%", False, "100%"),
    ],
)
def test_patterns(fmt: str, parsing: bool, pattern: str) -> None:
    assert to_spark_pattern(fmt, parsing=parsing) == pattern


@pytest.mark.parametrize("fmt", ["%U", "%W %Y", "%Z", "%z", "%c", "%-y"])
def test_directives_without_an_equivalent_are_refused(fmt: str) -> None:
    with pytest.raises(UnsupportedDirective):
        to_spark_pattern(fmt, parsing=False)
