"""An SLA judged at one instant: fresh_within, ready_by with time zones, days and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from sluiceway.observe.sla_eval import (
    deadline_after,
    deadline_at_or_before,
    describe,
    evaluate,
)
from sluiceway.spec.tables import Sla, TableMeta


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def sla(**fields: object) -> Sla:
    return Sla.model_validate(fields)


# ---------------------------------------------------------------- fresh_within


def test_fresh_within_is_met_until_the_last_commit_is_that_old() -> None:
    rule = sla(fresh_within="2h")
    commit = utc(2026, 1, 5, 8)
    before = evaluate(rule, commit, utc(2026, 1, 5, 9, 59, 59), "silver.orders")
    assert before.met and before.next_check == utc(2026, 1, 5, 10)
    assert "silver.orders was committed 1h 59m ago" in before.detail
    at_due = evaluate(rule, commit, utc(2026, 1, 5, 10), "silver.orders")
    assert not at_due.met and at_due.expected_by == utc(2026, 1, 5, 10)
    assert at_due.next_check is None
    assert at_due.detail == (
        "silver.orders was last committed 2h 0m ago, at 2026-01-05 08:00 UTC; "
        "it must be fresh within 2h"
    )


def test_a_table_never_committed_misses_fresh_within_at_once() -> None:
    status = evaluate(sla(fresh_within="30m"), None, utc(2026, 1, 5), "gold.kpis")
    assert not status.met and status.expected_by is None
    assert status.detail == "gold.kpis has never been committed; it must be fresh within 30m"


def test_fresh_within_refuses_days_and_naive_instants() -> None:
    with pytest.raises(ValidationError, match="days apply to ready_by only"):
        sla(fresh_within="2h", days=["mon"])
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(sla(fresh_within="2h"), None, datetime(2026, 1, 5))


# ---------------------------------------------------------------- ready_by


PARIS_6 = {"ready_by": "06:00 Europe/Paris"}


def test_ready_by_needs_a_commit_made_that_day_before_the_deadline() -> None:
    rule = sla(**PARIS_6)
    # Monday 5 January 2026, winter: 06:00 in Paris is 05:00 UTC.
    monday_6 = utc(2026, 1, 5, 5)
    on_time = evaluate(rule, utc(2026, 1, 5, 4, 30), monday_6)
    assert on_time.met and on_time.next_check == utc(2026, 1, 6, 5)
    # Committed Sunday evening: not Monday's data.
    late = evaluate(rule, utc(2026, 1, 4, 22), monday_6)
    assert not late.met and late.expected_by == monday_6
    assert late.detail.endswith("it was due by Mon 2026-01-05 06:00 Europe/Paris")
    # Midnight in Paris (23:00 UTC on Sunday) opens Monday's window.
    assert evaluate(rule, utc(2026, 1, 4, 23), monday_6).met
    assert not evaluate(rule, utc(2026, 1, 4, 22, 59), monday_6).met


def test_before_the_deadline_the_previous_day_decides_and_a_late_commit_recovers() -> None:
    rule = sla(**PARIS_6)
    tuesday_3 = utc(2026, 1, 6, 2)  # 03:00 Paris: Tuesday's deadline has not come yet
    assert evaluate(rule, utc(2026, 1, 5, 4), tuesday_3).met  # Monday was on time
    missed = evaluate(rule, utc(2026, 1, 4, 4), tuesday_3)  # Monday was missed…
    assert not missed.met and missed.expected_by == utc(2026, 1, 5, 5)
    # …and a commit at 02:00 on Tuesday recovers it, before Tuesday's deadline.
    recovered = evaluate(rule, utc(2026, 1, 6, 1), tuesday_3)
    assert recovered.met and recovered.next_check == utc(2026, 1, 6, 5)


def test_a_table_never_committed_misses_ready_by_from_the_last_deadline() -> None:
    status = evaluate(sla(**PARIS_6), None, utc(2026, 1, 5, 3))
    assert not status.met and status.expected_by == utc(2026, 1, 4, 5)


def test_days_limit_the_deadlines() -> None:
    rule = sla(ready_by="06:00", timezone="Europe/Paris", days=["mon", "tue", "wed", "thu", "fri"])
    saturday_noon = utc(2026, 1, 10, 11)
    friday_6 = utc(2026, 1, 9, 5)
    monday_6 = utc(2026, 1, 12, 5)
    assert deadline_at_or_before(rule, saturday_noon) == friday_6
    assert deadline_after(rule, saturday_noon) == monday_6
    # Friday's commit keeps the SLA met over the weekend, until Monday 06:00.
    weekend = evaluate(rule, utc(2026, 1, 9, 4), utc(2026, 1, 11, 20))
    assert weekend.met and weekend.next_check == monday_6
    assert not evaluate(rule, utc(2026, 1, 9, 4), monday_6).met
    assert describe(rule) == "ready_by 06:00 Europe/Paris mon-fri"


def test_deadlines_follow_the_zone_across_dst_changes() -> None:
    rule = sla(**PARIS_6)
    # 06:00 in Paris is 05:00 UTC before 29 March 2026 and 04:00 UTC from that day on.
    assert deadline_after(rule, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 4)
    assert deadline_after(rule, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 5)
    # A job committing at 04:30 UTC is on time in winter, late in summer.
    assert evaluate(rule, utc(2026, 3, 28, 4, 30), utc(2026, 3, 28, 5)).met
    summer = evaluate(rule, utc(2026, 3, 28, 4, 30), utc(2026, 3, 29, 4, 15))
    assert not summer.met and summer.expected_by == utc(2026, 3, 29, 4)
    assert evaluate(rule, utc(2026, 3, 29, 4, 30), utc(2026, 3, 29, 4, 30)).met  # late: recovered
    # The day's window opens at local midnight: 23:00 UTC in winter (the night of the
    # change included, it happens at 02:00), 22:00 UTC in summer.
    assert evaluate(rule, utc(2026, 3, 28, 23), utc(2026, 3, 29, 4)).met
    assert not evaluate(rule, utc(2026, 3, 28, 22, 59), utc(2026, 3, 29, 4)).met
    assert evaluate(rule, utc(2026, 3, 29, 22), utc(2026, 3, 30, 4)).met
    assert not evaluate(rule, utc(2026, 3, 29, 21, 59), utc(2026, 3, 30, 4)).met


def test_a_deadline_inside_a_skipped_or_repeated_hour() -> None:
    rule = sla(ready_by="02:30 Europe/Paris")
    # 29 March 2026: 02:00 → 03:00 does not exist; the deadline falls when it would have
    # ended, 03:30 local (01:30 UTC).
    assert deadline_after(rule, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1, 30)
    # 25 October 2026: 02:00 → 03:00 happens twice; the first 02:30 counts (00:30 UTC).
    assert deadline_after(rule, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0, 30)


def test_a_zone_east_of_utc_puts_the_deadline_on_the_previous_utc_day() -> None:
    rule = sla(ready_by="06:00 Asia/Tokyo")
    assert deadline_after(rule, utc(2026, 1, 5, 12)) == utc(2026, 1, 5, 21)  # 06:00 JST Tue
    # Tuesday's window opens at 00:00 JST, 15:00 UTC on Monday.
    assert evaluate(rule, utc(2026, 1, 5, 15), utc(2026, 1, 5, 21)).met
    assert not evaluate(rule, utc(2026, 1, 5, 14, 59), utc(2026, 1, 5, 21)).met


# ---------------------------------------------------------------- the YAML forms


def test_ready_by_takes_the_zone_in_the_string_or_in_timezone() -> None:
    inline = TableMeta.model_validate({"sla": {"ready_by": "06:00 Europe/Paris"}}).sla
    separate = TableMeta.model_validate(
        {"sla": {"ready_by": "06:00", "timezone": "Europe/Paris"}}
    ).sla
    assert inline is not None and separate is not None
    assert (inline.clock_time, inline.zone) == (separate.clock_time, separate.zone)
    assert describe(inline) == describe(separate) == "ready_by 06:00 Europe/Paris"
    assert sla(ready_by="23:15").zone == "UTC"


def test_ready_by_errors_name_the_problem() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Europe/Pari'"):
        sla(ready_by="06:00 Europe/Pari")
    with pytest.raises(ValidationError, match="give the zone once"):
        sla(ready_by="06:00 Europe/Paris", timezone="UTC")
    with pytest.raises(ValidationError, match="should match pattern"):
        sla(ready_by="6:00 Europe/Paris")
    with pytest.raises(ValidationError):
        sla(ready_by="06:00", days=[])
    # The same zone twice is not a contradiction.
    assert sla(ready_by="06:00 Europe/Paris", timezone="Europe/Paris").zone == "Europe/Paris"


def test_descriptions() -> None:
    assert describe(sla(fresh_within="90m")) == "fresh_within 90m"
    assert describe(sla(fresh_within="26h")) == "fresh_within 26h"
    assert describe(sla(ready_by="07:45", days=["mon", "wed"])) == "ready_by 07:45 UTC mon,wed"


def test_an_sla_met_now_says_when_it_is_next_due() -> None:
    rule = sla(fresh_within="15m")
    now = utc(2026, 1, 5, 12)
    status = evaluate(rule, now - timedelta(minutes=5), now)
    assert status.met and status.next_check == now + timedelta(minutes=10)
